# The demos (the cookbook's recipes and the sequence experiments), run from the
# installed package as a user runs them from the shell:
# Rscript -e 'demo("basic", package = "pyrnn")' name=value ..., each in a fresh
# R process with small settings, in an empty working directory that must stay
# empty (a plot goes to the PNG file given as plot=..., elsewhere).

skip_if_no_python()

# Width and height of a PNG file, from its header (IHDR, bytes 17 to 24).
png_size <- function(file) {
  bytes <- as.integer(readBin(file, "raw", 24))
  c(width = sum(bytes[17:20] * 256^(3:0)), height = sum(bytes[21:24] * 256^(3:0)))
}

COOKBOOK_DEMOS <- c("basic", "bidirectional", "stacked", "lstm")
EXPERIMENT_DEMOS <- c("cell", "echo", "dependency", "rows28")

# Run a demo with `args`; with `plot = TRUE` it is given plot=<a temporary PNG>.
# Returns run_rscript()'s list with the PNG's path (plot_file) and the files
# the demo left in its working directory (left_behind).
run_demo <- function(name, args = character(), plot = TRUE) {
  wd <- tempfile("demo-wd-")
  dir.create(wd)
  on.exit(unlink(wd, recursive = TRUE))
  plot_file <- tempfile(fileext = ".png")
  code <- sprintf("demo(\"%s\", package = \"pyrnn\", ask = FALSE)", name)
  run <- run_rscript(c("-e", shQuote(code), args, if (plot) paste0("plot=", plot_file)), wd = wd)
  c(run, plot_file = plot_file, left_behind = list(list.files(wd, all.files = TRUE, no.. = TRUE)))
}

test_that("demo(package = \"pyrnn\") lists the cookbook's recipes and the experiments, with titles", {
  listed <- demo(package = "pyrnn")$results
  expect_setequal(listed[, "Item"], c(COOKBOOK_DEMOS, EXPERIMENT_DEMOS))
  expect_identical(anyDuplicated(listed[, "Item"]), 0L)
  titles <- stats::setNames(listed[, "Title"], listed[, "Item"])
  expect_match(titles[COOKBOOK_DEMOS], "^Cookbook chapter 6: ")
  expect_match(titles[c("echo", "dependency", "rows28")], "^Sequence experiment: ")
  expect_match(titles[["cell"]], "^The basic RNN cell by hand")
  # each is a file of the installed package
  expect_true(all(file.exists(system.file("demo", paste0(listed[, "Item"], ".R"), package = "pyrnn"))))
})

# The cookbook's four chapter-6 recipes, run to the end with 2 iterations.
for (recipe in COOKBOOK_DEMOS) {
  test_that(sprintf("demo(\"%s\") with data=... iterations=2 ... runs to the end and saves its plot", recipe), {
    args <- c(paste0("data=", sample_dir()), "iterations=2", "batch=100", "n_hidden=8", "lr=0.01", "seed=1",
              if (recipe == "stacked") "num_layers=2")
    run <- run_demo(recipe, args)
    expect_null(run$status)
    expect_match(run$output, "iteration -  1 Training Loss -  [0-9.]+ \niteration -  2 Training Loss -  [0-9.]+")
    expect_no_match(run$output, "iteration -  3 ")
    expect_match(run$output, "Validation accuracy -  0\\.[0-9]+")
    expect_match(run$output, "Validation cost -  [0-9.]+")
    expect_match(run$output, paste0("Plot: ", run$plot_file), fixed = TRUE)
    expect_gt(file.size(run$plot_file), 1000)
    expect_identical(run$left_behind, character())
  })
}

test_that("a demo run by Rscript without plot= draws nothing and leaves no Rplots.pdf behind", {
  run <- run_demo("echo", c("num_epochs=1", "total_series_length=3000"), plot = FALSE)
  expect_null(run$status)
  expect_match(run$output, "state carried +epochs 1, steps 40, final loss [0-9.]+, accuracy [0-9.]+%")
  expect_match(run$output, "state reset every window +epochs 1")
  expect_match(run$output,
               "No plot drawn: no graphics device is open in this non-interactive session; give plot=FILE.png")
  expect_identical(run$left_behind, character())
})

test_that("demo(\"dependency\") prints the expected values and both runs", {
  run <- run_demo("dependency", "size=20000")
  expect_null(run$status)
  expect_match(run$output, "expected, learned nothing +0.6616")
  expect_match(run$output, "num_steps = 10, state_size = 16: 10 steps, final loss [0-9.]+ \\(closest: ")
  expect_gt(file.size(run$plot_file), 1000)
  expect_identical(run$left_behind, character())
})

test_that("demo(\"rows28\") trains on MNIST row by row and reports the gradients", {
  run <- run_demo("rows28", c("cells=basic", "steps=2", "n_hidden=8", "batch=50"))
  expect_null(run$status)
  expect_match(run$output, "basic: test accuracy [0-9.]+% after 2 steps; saturated final states")
  expect_gt(file.size(run$plot_file), 1000)
  expect_identical(run$left_behind, character())
})

test_that("demo(\"cell\") shows the worked example and the four ways agree", {
  run <- run_demo("cell", "steps=4", plot = FALSE)
  expect_null(run$status)
  expect_match(run$output, "h_t = tanh\\(pre\\)")
  expect_match(run$output, "keras dynamic outputs [0-9.e-]+ +final state = last output: TRUE")
  expect_identical(run$left_behind, character())
})

test_that("a demo given a bad, positional or non-numeric setting stops with a message", {
  run <- run_demo("echo", "epochs=3")
  expect_identical(run$status, 1L)
  expect_match(run$output, "unknown argument 'epochs=3'; give name=value with name one of num_epochs")
  run <- run_demo("basic", "sample")
  expect_identical(run$status, 1L)
  expect_match(run$output, "unknown argument 'sample'; give name=value with name one of data, iterations, batch")
  run <- run_demo("lstm", "iterations=many")
  expect_identical(run$status, 1L)
  expect_match(run$output, "argument 'iterations=many': iterations must be a number")
})

test_that("recipe_args() reads name=value over the defaults, in the demos' words", {
  defaults <- list(data = "sample", iterations = 100)
  expect_identical(recipe_args(defaults, character()), defaults)
  expect_identical(recipe_args(defaults, c("iterations=20", "data=~/mnist")),
                   list(data = "~/mnist", iterations = 20))
  expect_error(recipe_args(defaults, "20"), "unknown argument '20'; give name=value with name one of data, iterations")
  expect_error(recipe_args(defaults, "batch=5"), "unknown argument 'batch=5'")
  expect_error(recipe_args(defaults, "iterations=many"), "iterations must be a number")
})

test_that("recipe_plot() draws into the PNG file given, creating its folder, and names it", {
  file <- file.path(tempfile("plots-"), "sub", "loss.png")
  expect_output(returned <- recipe_plot(file, plot(1:10, type = "l"), width = 300, height = 200),
                paste0("Plot: ", file), fixed = TRUE)
  expect_identical(returned, file)
  expect_gt(file.size(file), 500)
  expect_identical(png_size(file), c(width = 300, height = 200))
})

test_that("recipe_plot(\"\") draws on the device that is open", {
  file <- tempfile(fileext = ".png")
  grDevices::png(file)
  device <- grDevices::dev.cur()
  drawn <- FALSE
  expect_silent(recipe_plot("", {
    drawn <- TRUE
    plot(1:10)
  }))
  expect_identical(grDevices::dev.cur(), device) # left open, for the caller
  grDevices::dev.off(device)
  expect_true(drawn)
  expect_gt(file.size(file), 500)
})

test_that("recipe_plot(\"\") with no device in a script does not evaluate the plot, and writes nothing", {
  wd <- tempfile("plot-wd-")
  dir.create(wd)
  run <- run_r(c("library(pyrnn)", "recipe_plot('', stop('the plot was drawn'))", "cat('done\\n')"), wd = wd)
  expect_null(run$status)
  expect_match(run$output, "No plot drawn: no graphics device is open in this non-interactive session")
  expect_match(run$output, "done$")
  expect_identical(list.files(wd, all.files = TRUE, no.. = TRUE), character())
})

test_that("recipe_plot() refuses a file that is not one string, in R's words", {
  expect_error(recipe_plot(NULL, plot(1)), "file must be \"\" or the path of a PNG, JPEG, PDF or SVG file, got NULL",
               class = "pyrnn_error")
  expect_error(recipe_plot(NA_character_, plot(1)), "got NA$", class = "pyrnn_error")
  expect_error(recipe_plot(c("a.png", "b.png"), plot(1)), "got text \\(character\\) of length 2")
})
