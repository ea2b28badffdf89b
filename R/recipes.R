# The settings and plots of the demos (demo(package = "pyrnn")): the cookbook's
# recipes and the sequence experiments.

#' Read a demo's name=value settings
#'
#' The demos (`demo(package = "pyrnn")`) take their settings as `name=value`
#' arguments after the R command, for example
#' `Rscript -e 'demo("basic", package = "pyrnn")' iterations=20 data=sample`.
#' `recipe_args()` reads them over the defaults: a name not among the
#' defaults, or a number that does not parse, stops the demo with a message.
#' An interactive session has no such arguments, so there the demos run with
#' their defaults (the bundled MNIST sample): to change a setting, run the
#' demo with `Rscript`, or copy its code from
#' `system.file("demo", "basic.R", package = "pyrnn")`.
#'
#' @param defaults A named list of the settings and their defaults; a setting
#'   whose default is numeric takes numbers, any other takes text.
#' @param args The arguments to read, by default those after the command
#'   (`commandArgs(trailingOnly = TRUE)`).
#' @return `defaults`, with the values given in `args`.
#' @seealso [recipe_plot()], which draws a demo's plot; the vignette
#'   `vignette("chapter6", package = "pyrnn")`.
#' @export
#' @examples
#' recipe_args(list(data = "sample", iterations = 100), c("iterations=20"))
recipe_args <- function(defaults, args = commandArgs(trailingOnly = TRUE)) {
  for (arg in args) {
    name <- sub("=.*$", "", arg)
    if (!grepl("=", arg) || !name %in% names(defaults)) {
      stop("unknown argument '", arg, "'; give name=value with name one of ",
           paste(names(defaults), collapse = ", "), call. = FALSE)
    }
    value <- sub("^[^=]*=", "", arg)
    if (is.numeric(defaults[[name]])) {
      value <- suppressWarnings(as.numeric(value))
      if (is.na(value)) stop("argument '", arg, "': ", name, " must be a number", call. = FALSE)
    }
    defaults[[name]] <- value
  }
  defaults
}

# The formats recipe_plot() writes, by file extension: each opens its device
# for a plot of width x height pixels (the vector formats at 96 pixels an inch).
PLOT_DEVICES <- list(
  png = function(file, width, height) grDevices::png(file, width = width, height = height),
  jpeg = function(file, width, height) grDevices::jpeg(file, width = width, height = height, quality = 95),
  jpg = function(file, width, height) grDevices::jpeg(file, width = width, height = height, quality = 95),
  pdf = function(file, width, height) grDevices::pdf(file, width = width / 96, height = height / 96),
  svg = function(file, width, height) grDevices::svg(file, width = width / 96, height = height / 96)
)

#' Draw a demo's plot on the screen or into a file
#'
#' The demos draw their plots with `recipe_plot()`, which writes no file
#' unless asked to.
#'
#' * With `file = ""` the plot goes to the current graphics device: a window
#'   in an interactive session, the page of a document being knitted. A
#'   session with no device open and no screen (a script run by `Rscript`)
#'   draws nothing, since R would otherwise write `Rplots.pdf` into the working
#'   directory; a line says how to save the plot instead.
#' * With a file name, the plot is drawn into that file in the format its
#'   extension names: `.png`, `.jpeg` (or `.jpg`), `.pdf` or `.svg` (its
#'   folder is created), and a line names the file. Another extension is
#'   refused before anything is drawn.
#'
#' @param file `""`, or the path of a PNG, JPEG, PDF or SVG file (a demo's
#'   `plot=` setting).
#' @param expr Code that draws the plot; evaluated only when there is a
#'   device to draw on.
#' @param width,height Size of the plot, in pixels (for PDF and SVG, at 96
#'   pixels an inch).
#' @return `file`, invisibly.
#' @export
#' @examples
#' file <- tempfile(fileext = ".png")
#' recipe_plot(file, plot(cumsum(rnorm(100)), type = "l"))
#' file.exists(file)
recipe_plot <- function(file, expr, width = 720, height = 450) {
  if (!is.character(file) || length(file) != 1 || is.na(file)) {
    stop_input("file must be \"\" or the path of a PNG, JPEG, PDF or SVG file, got %s", show_value(file))
  }
  if (nzchar(file)) {
    file <- path.expand(file)
    extension <- tolower(tools::file_ext(file))
    if (!extension %in% names(PLOT_DEVICES)) {
      stop_input("plot file %s: the extension \".%s\" is not a format recipe_plot() writes; end the name in %s",
                 show_value(file), extension, paste0(".", names(PLOT_DEVICES), collapse = ", "))
    }
    dir.create(dirname(file), recursive = TRUE, showWarnings = FALSE)
    PLOT_DEVICES[[extension]](file, width, height)
    device <- grDevices::dev.cur()
    on.exit(grDevices::dev.off(device))
    force(expr)
    cat("Plot: ", file, "\n", sep = "")
  } else if (grDevices::dev.cur() > 1 || grDevices::dev.interactive(orNone = TRUE)) {
    force(expr)
  } else {
    cat("No plot drawn: no graphics device is open in this non-interactive session; ",
        "give plot=FILE.png to save it\n", sep = "")
  }
  invisible(file)
}
