"""The files of a run folder, named once: the manager, the training child and the readers share them."""

CONFIG_FILE = "config.yaml"       # the RunConfig the run trains
STOP_FILE = "STOP"                # present = please stop after this step
LOG_FILE = "train.log"            # the child's stdout and stderr
CHECKPOINT_DIR = "checkpoints"    # the Trainer's checkpoint-N folders
UPLOADS_DIR = "uploads"           # beside the run folders, under the runs root: each owner's uploaded files
