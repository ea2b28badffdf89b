"""The Python recipes in recipes/python run to the end, as `python recipes/python/<name>.py`."""

import re
import subprocess
import sys
from pathlib import Path

RECIPES = Path(__file__).resolve().parents[2] / "recipes" / "python"
QUICK = ["--data", "sample", "--iterations", "3", "--batch", "50", "--n-hidden", "8"]


def test_each_recipe_script_runs_to_the_end():
    # run side by side: compiling each model is mostly single-threaded
    scripts = {name: subprocess.Popen([sys.executable, str(RECIPES / f"{name}.py"), *QUICK,
                                       *(["--num-layers", "2"] if name == "stacked" else [])],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for name in ("basic", "bidirectional", "stacked", "lstm")}
    for name, proc in scripts.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{name}: {stderr[-2000:]}"
        assert stdout.startswith("data: the MNIST sample bundled with pyrnn"), name
        losses = [float(v) for v in re.findall(r"^iteration - \d+ Training Loss - ([\d.]+)$", stdout, re.M)]
        assert len(losses) == 3 and all(0 < v < 10 for v in losses), (name, stdout)
        for split, n in (("validation", "5,000"), ("test", "2,000")):
            match = re.search(rf"^{split}: accuracy ([\d.]+), cost ([\d.]+) \({n} images\)$", stdout, re.M)
            assert match and 0 <= float(match[1]) <= 1 and float(match[2]) > 0, (name, stdout)


def test_recipes_share_code_only_through_the_library():
    for script in (RECIPES / f"{name}.py" for name in ("basic", "bidirectional", "stacked", "lstm")):
        text = script.read_text()
        assert "def " not in text, f"{script.name} defines its own helper; put shared steps in pyrnn"
        assert "import pyrnn" in text or "from pyrnn" in text


def test_a_recipe_script_refuses_bad_options_in_one_line_without_a_traceback():
    """Found in use: `python recipes/python/basic.py --data /nonexistent` (or --lr -1, --batch 0, a batch
    larger than the data) printed a Python traceback where the pyrnn command gives one line."""
    cases = [(["--lr", "-1"], 2, "lr (learning rate) must be a positive number"),
             (["--batch", "0"], 2, "batch must be a positive whole number"),
             (["--data", "/nonexistent"], 2, "/nonexistent: no such data folder"),
             (["--batch", "99999"], 1, "batch must be a whole number in 1..10000")]
    for args, code, needle in cases:
        proc = subprocess.run([sys.executable, str(RECIPES / "basic.py"), *QUICK, *args], capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == code, (args, proc.stderr[-2000:])
        assert f"basic.py: error: {needle}" in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
