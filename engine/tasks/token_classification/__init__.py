"""Token classification (NER) building blocks: file formats, tag schemes, sub-word alignment, metrics, spans.

The task class comes next, on top of these modules; until then this package registers nothing.
"""
