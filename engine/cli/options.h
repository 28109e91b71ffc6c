// Command-line parsing shared by the subcommands (Boost.Program_options).
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>

namespace touchstream::engine {

// Parses argv into `vm`. Returns an exit code when the command must stop now: 0 after
// printing help for --help, 2 after printing a usage error. `positional` may be null.
std::optional<int> ParseCommandLine(
    int argc, char** argv, const std::string& usage,
    const boost::program_options::options_description& options,
    const boost::program_options::positional_options_description* positional,
    boost::program_options::variables_map* vm);

}  // namespace touchstream::engine
