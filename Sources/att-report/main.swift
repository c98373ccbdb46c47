import Foundation

// Thin entry point: parse, dispatch, and turn every error into one line and an exit code.
// 0 success, 1 failure, 64 usage error. Never a backtrace.
let arguments = Array(CommandLine.arguments.dropFirst())
let status = CLI.run(arguments)
exit(status)
