"""Recipe: a basic RNN on 16x16 MNIST (R Deep Learning Cookbook, chapter 6).

Each image is read as a sequence of 16 rows of 16 pixels; a tanh RNN reads the
rows in turn and a linear layer on its last output gives the digit.

    python recipes/python/basic.py --data sample --iterations 100
"""

from pyrnn.recipes import evaluate_splits, format_metrics, print_loss, script_options

args = script_options(__doc__)  # before TensorFlow loads, so that --help answers at once

from pyrnn import read_data_sets, reduceImage, rnn, train_rnn  # noqa: E402
from pyrnn.data import find_mnist  # noqa: E402

# 1. Load MNIST (full MNIST if found, else the bundled sample; --data chooses)
source = find_mnist(args.data)
print(f"data: {source.describe()}")
mnist = read_data_sets(source.location, one_hot=True)
splits = (mnist.train, mnist.validation, mnist.test)

# 2. Reduce the images to 16 x 16 pixels
trainData, validData, testData = (reduceImage(split.images) for split in splits)
labels, labels_valid, labels_test = (split.labels for split in splits)

# 3. Model parameters: 16 steps of 16 pixels, hidden units, 10 classes
n_input, step_size, n_hidden, n_class = 16, 16, args.n_hidden, 10

# 4. Training parameters
lr, batch, iteration = args.lr, args.batch, args.iterations

# 5. Build the basic RNN
model = rnn(n_hidden=n_hidden, n_class=n_class, step_size=step_size, n_input=n_input, seed=args.seed)

# 6. Train: each iteration a random batch, Adam, softmax cross-entropy
history = train_rnn(model, trainData, labels, lr=lr, batch=batch, iteration=iteration, seed=args.seed,
                    callback=print_loss)

print(f"trained {history.iterations_done} iterations in {history.seconds:.1f} s")

# 7. Mean accuracy and cost on the validation and test images
print(format_metrics(evaluate_splits(model, {"validation": (validData, labels_valid),
                                             "test": (testData, labels_test)})))
