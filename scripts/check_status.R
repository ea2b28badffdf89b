# Judge an R CMD check --as-cran log as CRAN would: no ERROR, no WARNING, and no NOTE
# but those a first submission checked offline gets. Fails (status 1) naming what is
# not allowed; prints the Status line either way.
#   Rscript scripts/check_status.R pyrnn.Rcheck/00check.log
args <- commandArgs(trailingOnly = TRUE)
log <- readLines(args[[1]], warn = FALSE)

# The NOTEs allowed, by their check, with the lines each may hold. A new package's
# incoming NOTE names the maintainer and says it is a new submission; offline, R cannot
# get the time from the network to look for files dated in the future.
ALLOWED_NOTES <- list(
  "checking CRAN incoming feasibility" = c("^Maintainer: ", "^New submission$", "^$"),
  "checking for future file timestamps" = c("^unable to verify current time$", "^$")
)

status <- grep("^Status: ", log, value = TRUE)
cat(args[[1]], ": ", if (length(status)) status else "no Status line", "\n", sep = "")
starts <- grep("^\\* ", log)
problems <- character()
for (i in seq_along(starts)) {
  line <- log[[starts[[i]]]]
  result <- regmatches(line, regexpr("(NOTE|WARNING|ERROR)$", line))
  if (!length(result)) next
  check <- sub(" \\.\\.\\..*$", "", sub("^\\* ", "", line))
  end <- if (i < length(starts)) starts[[i + 1]] - 1 else length(log)
  body <- if (end > starts[[i]]) log[(starts[[i]] + 1):end] else character()
  allowed <- ALLOWED_NOTES[[check]]
  if (result == "NOTE" && !is.null(allowed) &&
      all(vapply(body, function(text) any(vapply(allowed, grepl, TRUE, x = text)), TRUE))) next
  problems <- c(problems, paste0(result, ": ", check, if (length(body)) paste0("\n    ", body, collapse = "")))
}
# a result printed on a line of its own (after a check's progress output) is not seen
# above: the Status line's counts are the judge of ERRORs and WARNINGs, and of how many NOTEs
if (length(status) && grepl("ERROR|WARNING", status)) problems <- c(problems, status)
notes_seen <- sum(grepl("^\\* .*NOTE$", log))
notes_counted <- as.integer(sub(".*?([0-9]+) NOTEs?.*", "\\1", status))
if (length(status) && !is.na(notes_counted) && notes_counted != notes_seen) {
  problems <- c(problems, sprintf("%d NOTEs counted, %d found in the log", notes_counted, notes_seen))
}
if (!length(status) || length(problems)) {
  cat("Not allowed:\n", paste0("  ", problems, "\n"), sep = "")
  quit(status = 1)
}
