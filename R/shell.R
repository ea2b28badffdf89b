# Commands printed for the user to paste into a shell.

# The words of a command joined into one line, each quoted by the POSIX shell's
# rules where it needs it (a path with a space stays one argument), as Python's
# shlex.join() does for the pyrnn command (shell_command() in pyrnn/cli/common.py).
# Every command pyrnn's R side prints goes through here.
shell_command <- function(...) {
  words <- as.character(c(...))
  safe <- grepl("^[-A-Za-z0-9_@%+=:,./]+$", words)
  paste(ifelse(safe, words, shQuote(words, type = "sh")), collapse = " ")
}
