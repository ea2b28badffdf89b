#' pyrnn: the R Deep Learning Cookbook's recurrent network recipes on TensorFlow 2
#'
#' The recipes of the cookbook's chapter 6 (basic, bidirectional, deep and
#' long short-term memory networks on 16 x 16 MNIST digits) under the
#' cookbook's own function names, run by the pyrnn Python package on
#' TensorFlow 2 and Keras 3 through reticulate.
#'
#' * Data: [read_data_sets()] (`"sample"`: the MNIST subset bundled with
#'   pyrnn) and [reduceImage()].
#' * Models: [rnn()], [bidirectionRNN()], [stacked_rnn()], [lstm()]; trained
#'   with [train_rnn()], measured with [evaluate_rnn()], [eval_acc()] and
#'   [predict()][predict.pyrnn_model()], kept with [save_rnn()] and
#'   [load_rnn()].
#' * Sequence experiments with known answers: [cell_forward()],
#'   [train_echo()], [train_dependency()], [train_rows28()].
#' * Set-up: [pyrnn_config()] says which Python and versions are in use;
#'   [install_pyrnn()] installs the Python side.
#'
#' The cookbook's recipes, step by step, are demos: `demo(package = "pyrnn")`
#' lists them and `demo("lstm", package = "pyrnn")` runs one on the bundled
#' sample. The vignette `vignette("chapter6", package = "pyrnn")` trains the
#' four recipes and compares their convergence plots.
#'
#' @keywords internal
"_PACKAGE"
