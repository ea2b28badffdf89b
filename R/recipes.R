# Arguments of the recipe scripts in recipes/R.

#' Read a recipe script's name=value arguments
#'
#' The recipe scripts take their settings as `name=value` arguments
#' (`Rscript recipes/R/basic.R data=sample iterations=20`), with the names of
#' the Python scripts' options. `recipe_args()` reads them over the defaults:
#' a name not among the defaults, or a number that does not parse, stops the
#' script with a message.
#'
#' @param defaults A named list of the settings and their defaults; a setting
#'   whose default is numeric takes numbers.
#' @param args The arguments to read, by default the script's.
#' @return `defaults`, with the values given in `args`.
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
