"""The playground chat's pieces that need no model: which turns a model reads after Stop, and message shapes."""
from __future__ import annotations

from ui.tabs.chat import _turns, answered


def test_a_question_whose_answer_stop_cut_before_its_first_word_is_left_out_with_it() -> None:
    turns = [{"role": "user", "content": "first"}, {"role": "assistant", "content": "reply"},
             {"role": "user", "content": "second"}, {"role": "assistant", "content": "  "},
             {"role": "user", "content": "third"}, {"role": "assistant", "content": "part of an answer"}]
    assert answered(turns) == [turns[0], turns[1], turns[4], turns[5]]


def test_chatbot_messages_with_text_parts_become_plain_turns() -> None:
    shown = [{"role": "user", "content": [{"type": "text", "text": "hi"}], "metadata": None},
             {"role": "assistant", "content": "hello"}]
    assert _turns(shown) == [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
