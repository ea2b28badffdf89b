# The recipes, run as scripts (Rscript recipes/R/<name>.R name=value ...) with
# small settings, each in a fresh R process.
# Those that draw a plot are given plot=<a temporary file>.
run_recipe <- function(name, args, plot = TRUE) {
  plot_file <- tempfile(fileext = ".png")
  run <- run_rscript(c(shQuote(file.path(recipe_dir(), paste0(name, ".R"))), args,
                       if (plot) paste0("plot=", plot_file)))
  c(run, plot_file = plot_file)
}

# The cookbook's four chapter-6 recipes, run to the end with 2 iterations.
for (recipe in c("basic", "bidirectional", "stacked", "lstm")) {
  test_that(sprintf("Rscript recipes/R/%s.R data=... iterations=2 ... runs to the end", recipe), {
    args <- c(paste0("data=", sample_dir()), "iterations=2", "batch=100", "n_hidden=8", "lr=0.01", "seed=1",
              if (recipe == "stacked") "num_layers=2")
    run <- run_recipe(recipe, args)
    expect_null(run$status)
    expect_match(run$output, "iteration -  1 Training Loss -  [0-9.]+ \niteration -  2 Training Loss -  [0-9.]+")
    expect_no_match(run$output, "iteration -  3 ")
    expect_match(run$output, "Validation accuracy -  0\\.[0-9]+")
    expect_match(run$output, "Validation cost -  [0-9.]+")
    expect_gt(file.size(run$plot_file), 1000)
  })
}

test_that("recipes/R/echo.R trains with the state carried and reset", {
  run <- run_recipe("echo", c("num_epochs=1", "total_series_length=3000"))
  expect_null(run$status)
  expect_match(run$output, "state carried +epochs 1, steps 40, final loss [0-9.]+, accuracy [0-9.]+%")
  expect_match(run$output, "state reset every window +epochs 1")
  expect_gt(file.size(run$plot_file), 1000)
})

test_that("recipes/R/dependency.R prints the expected values and both runs", {
  run <- run_recipe("dependency", "size=20000")
  expect_null(run$status)
  expect_match(run$output, "expected, learned nothing +0.6616")
  expect_match(run$output, "num_steps=10, state_size=16: 10 steps, final loss [0-9.]+ \\(closest: ")
  expect_gt(file.size(run$plot_file), 1000)
})

test_that("recipes/R/rows28.R trains on MNIST row by row and reports the gradients", {
  run <- run_recipe("rows28", c("cells=basic", "steps=2", "n_hidden=8", "batch=50"))
  expect_null(run$status)
  expect_match(run$output, "basic: test accuracy [0-9.]+% after 2 steps; saturated final states")
  expect_gt(file.size(run$plot_file), 1000)
})

test_that("recipes/R/cell.R shows the worked example and the four ways agree", {
  run <- run_recipe("cell", "steps=4", plot = FALSE)
  expect_null(run$status)
  expect_match(run$output, "h_t = tanh\\(pre\\)")
  expect_match(run$output, "keras dynamic outputs [0-9.e-]+ +final state = last output: TRUE")
})

test_that("a recipe given a bad, positional or non-numeric argument stops with a message", {
  run <- run_recipe("echo", "epochs=3")
  expect_identical(run$status, 1L)
  expect_match(run$output, "unknown argument 'epochs=3'; give name=value with name one of num_epochs")
  run <- run_recipe("basic", "sample")
  expect_identical(run$status, 1L)
  expect_match(run$output, "unknown argument 'sample'; give name=value with name one of data, iterations, batch")
  run <- run_recipe("lstm", "iterations=many")
  expect_identical(run$status, 1L)
  expect_match(run$output, "argument 'iterations=many': iterations must be a number")
})

test_that("the R recipes are named as the Python ones", {
  expect_setequal(sub("\\.R$", "", list.files(recipe_dir(), pattern = "\\.R$")),
                  c("basic", "bidirectional", "stacked", "lstm", "cell", "echo", "dependency", "rows28"))
})

test_that("recipe_args() reads name=value over the defaults, in the scripts' words", {
  defaults <- list(data = "sample", iterations = 100)
  expect_identical(recipe_args(defaults, character()), defaults)
  expect_identical(recipe_args(defaults, c("iterations=20", "data=~/mnist")),
                   list(data = "~/mnist", iterations = 20))
  expect_error(recipe_args(defaults, "20"), "unknown argument '20'; give name=value with name one of data, iterations")
  expect_error(recipe_args(defaults, "batch=5"), "unknown argument 'batch=5'")
  expect_error(recipe_args(defaults, "iterations=many"), "iterations must be a number")
})
