#include "engine/cli/options.h"

#include <iostream>

namespace touchstream::engine {

namespace po = boost::program_options;

std::optional<int> ParseCommandLine(int argc, char** argv, const std::string& usage,
                                    const po::options_description& options,
                                    const po::positional_options_description* positional,
                                    po::variables_map* vm) {
  po::options_description all = options;
  all.add_options()("help,h", "print this help");
  try {
    po::command_line_parser parser(argc, argv);
    parser.options(all);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), *vm);
    if (vm->count("help")) {
      std::cout << "usage: " << usage << "\n\n" << all << "\n";
      return 0;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    std::cerr << "touchstream: " << e.what() << "\nusage: " << usage << "\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace touchstream::engine
