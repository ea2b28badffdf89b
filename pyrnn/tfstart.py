"""Starting TensorFlow quietly: the one way the `pyrnn` command and R load it.

TensorFlow's C++ side writes start-up lines to stderr when it is imported and
first lists its devices (absl's "All log messages before absl::InitializeLog()",
oneDNN's and the CPU features' notices, cudart's "Could not find cuda
drivers"), whatever TF_CPP_MIN_LOG_LEVEL says: they come before that setting
is read. They are notices, not problems, and would bury pyrnn's own output,
so `start_tensorflow` hides them by pointing the process's stderr (file
descriptor 2) at a temporary file while TensorFlow starts; should starting
fail, they are shown with the error. Later messages follow
TF_CPP_MIN_LOG_LEVEL.

The library never calls it on its own (importing it has no effect): it
changes process-wide settings, which belong to whoever owns the process.
"""

from __future__ import annotations

import os
import sys
import tempfile

LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"

# What start_tensorflow() found and did, once TensorFlow is loaded (see there).
_started: dict = {}


def start_tensorflow(log_level: str = "3", one_thread_per_op: bool = True) -> dict:
    """Import TensorFlow and Keras and list the devices with TensorFlow's
    start-up lines hidden (see the module's docstring); later calls return
    what the first one did.

    log_level: the TF_CPP_MIN_LOG_LEVEL to set ("0" all of TensorFlow's C++
        messages, "1" no INFO, "2" errors only, "3" none) when the
        environment does not set it already.
    one_thread_per_op: call `pyrnn.threads.use_one_thread_per_op` (before
        TensorFlow starts its threads). False keeps TensorFlow's default
        pool: this call starts TensorFlow's runtime (it lists the devices),
        so the builders' default (`one_thread_per_op_by_default`) comes too
        late to change it.

    Returns a dict: "log_level" (str, the TF_CPP_MIN_LOG_LEVEL TensorFlow
    started with; None when it had started before this call, so that it
    cannot be known), "log_level_from" (where that value came from, in words),
    "one_thread_per_op" (bool: whether each op now runs on one thread because
    of this call).
    """
    if _started:
        return dict(_started)
    if "tensorflow" in sys.modules:
        _started.update(log_level=None, log_level_from="unknown: TensorFlow had started before pyrnn loaded it",
                        one_thread_per_op=False)
        return dict(_started)
    if os.environ.get(LOG_LEVEL_VARIABLE):
        level, level_from = os.environ[LOG_LEVEL_VARIABLE], f"the environment variable {LOG_LEVEL_VARIABLE}"
    else:
        level, level_from = str(log_level), "pyrnn"
        os.environ[LOG_LEVEL_VARIABLE] = level
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow

            one_thread = False
            if one_thread_per_op:
                from pyrnn.threads import use_one_thread_per_op

                one_thread = use_one_thread_per_op()
            tensorflow.config.list_logical_devices()  # the device notices come here
            tensorflow.get_logger().setLevel("ERROR")  # retracing notices are for developers
        except KeyboardInterrupt:
            raise  # Ctrl-C while loading: the hidden lines are noise
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            sys.stderr.write(capture.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    _started.update(log_level=level, log_level_from=level_from, one_thread_per_op=one_thread)
    return dict(_started)
