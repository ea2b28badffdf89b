#!/usr/bin/env bash
# A wheel built from the repository installs into a fresh venv beside NumPy 2,
# and the CLI runs a recipe on the bundled sample from it.
source "$(dirname "$0")/lib.sh"

step "build the wheel" python3 -m pip wheel -q --no-deps -w "$SCRATCH/dist" "$REPO"
WHEEL=$(ls "$SCRATCH"/dist/pyrnn-*.whl)
grep -q 'pyrnn/datasets/mnist_sample/train-images-idx3-ubyte.gz' <<<"$(python3 -m zipfile -l "$WHEEL")" ||
  fail "$WHEEL has no MNIST sample"
step "fresh venv with NumPy 2 and the wheel" bash -c \
  "python3 -m venv '$SCRATCH/venv' && '$SCRATCH/venv/bin/pip' install -q 'numpy>=2' '$WHEEL'"
numpy=$("$SCRATCH/venv/bin/python" -c 'import numpy; print(numpy.__version__)')
[[ $numpy == 2.* ]] || fail "the venv has NumPy $numpy, not 2.x"
cd "$SCRATCH"
step "pyrnn recipe basic --data sample" "$SCRATCH/venv/bin/pyrnn" recipe basic --data sample --iterations 20 \
  --batch 100 --out "$SCRATCH/run"
for file in metrics.json model.keras loss.png; do
  [[ -s "$SCRATCH/run/$file" ]] || fail "the recipe run wrote no $file"
done
echo "wheel: pyrnn recipe basic ran beside NumPy $numpy"
