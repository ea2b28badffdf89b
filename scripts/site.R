# Build pyrnn's pkgdown site into DESTINATION from SOURCE (a copy of the package's files:
# make site passes build/src), using the installed pyrnn for the examples and the
# article. The home page is the README's R part: its title and introduction, then its
# "From R" section (the rest is about Python and the command line).
#   Rscript scripts/site.R SOURCE DESTINATION
args <- commandArgs(trailingOnly = TRUE)
source_dir <- normalizePath(args[[1]])
dir.create(args[[2]], recursive = TRUE, showWarnings = FALSE)
destination <- normalizePath(args[[2]])

readme <- readLines(file.path(source_dir, "README.md"))
sections <- grep("^## ", readme)
intro <- readme[seq_len(sections[[1]] - 1)]
from_r <- grep("^## From R", readme)
r_part <- readme[from_r:(min(sections[sections > from_r], length(readme) + 1) - 1)]
dir.create(file.path(source_dir, "pkgdown"), showWarnings = FALSE)
blanks <- which(intro == "")
writeLines(c(intro[seq_len(blanks[[2]] - 1)], "", r_part), file.path(source_dir, "pkgdown", "index.md"))

# offline: no look-up of the package on CRAN for the sidebar
options(pkgdown.internet = FALSE)
pkgdown::check_pkgdown(source_dir)  # every topic in the reference index, and no topic twice
pkgdown::build_site(source_dir, devel = FALSE, new_process = FALSE, install = FALSE,
                    override = list(destination = destination))

# every export has a page in the built reference
exports <- getNamespaceExports("pyrnn")
aliases <- unlist(lapply(list.files(file.path(source_dir, "man"), "\\.Rd$", full.names = TRUE), function(rd) {
  parsed <- tools::parse_Rd(rd)
  page <- sub("\\.Rd$", ".html", basename(rd))
  if (!file.exists(file.path(destination, "reference", page))) return(character())
  unlist(lapply(parsed[vapply(parsed, attr, "", "Rd_tag") == "\\alias"], as.character))
}))
missing <- setdiff(exports, aliases)
if (length(missing)) stop("exported but without a page in the site: ", paste(missing, collapse = ", "))
index <- paste(readLines(file.path(destination, "reference", "index.html")), collapse = "\n")
unlisted <- exports[!vapply(exports, function(name) grepl(paste0(">", name, "()<"), index, fixed = TRUE) ||
                                              grepl(paste0(">", name, "<"), index, fixed = TRUE), TRUE)]
if (length(unlisted)) stop("exported but not in the reference index: ", paste(unlisted, collapse = ", "))
cat("site:", normalizePath(destination), "-", length(exports), "exports, each with a page in the index\n")
