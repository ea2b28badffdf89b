"""Recipe: a deep (stacked) RNN on 16x16 MNIST (R Deep Learning Cookbook, chapter 6).

`num_layers` GRU layers (3 in the cookbook), each reading the whole output
sequence of the one below; the top layer's last output feeds the linear
output layer.

    python recipes/python/stacked.py --data sample --iterations 100 --num-layers 3
"""

from pyrnn.recipes import evaluate_splits, format_metrics, print_loss, script_options

args = script_options(__doc__, stacked=True)  # before TensorFlow loads, so that --help answers at once

from pyrnn import read_data_sets, reduceImage, stacked_rnn, train_rnn  # noqa: E402
from pyrnn.data import find_mnist  # noqa: E402

# 1. Load MNIST (full MNIST if found, else the bundled sample; --data chooses)
source = find_mnist(args.data)
print(f"data: {source.describe()}")
mnist = read_data_sets(source.location, one_hot=True)
splits = (mnist.train, mnist.validation, mnist.test)

# 2. Reduce the images to 16 x 16 pixels
trainData, validData, testData = (reduceImage(split.images) for split in splits)
labels, labels_valid, labels_test = (split.labels for split in splits)

# 3. Model parameters: 16 steps of 16 pixels, hidden units, 10 classes, and the depth
n_input, step_size, n_hidden, n_class = 16, 16, args.n_hidden, 10
num_layers = args.num_layers

# 4. Training parameters
lr, batch, iteration = args.lr, args.batch, args.iterations

# 5. Build the stacked GRU network (each layer with its own weights)
model = stacked_rnn(num_layers=num_layers, cell="gru", n_hidden=n_hidden, n_class=n_class, step_size=step_size,
                    n_input=n_input, seed=args.seed)

# 6. Train: each iteration a random batch, Adam, softmax cross-entropy
history = train_rnn(model, trainData, labels, lr=lr, batch=batch, iteration=iteration, seed=args.seed,
                    callback=print_loss)

print(f"trained {history.iterations_done} iterations in {history.seconds:.1f} s")

# 7. Mean accuracy and cost on the validation and test images
print(format_metrics(evaluate_splits(model, {"validation": (validData, labels_valid),
                                             "test": (testData, labels_test)})))
