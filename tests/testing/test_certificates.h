// Certificates for TLS tests, made by the openssl command (Debian's openssl, installed by
// deploy/setup.sh): a throwaway CA and a server certificate for 127.0.0.1 signed by it.
#pragma once

#include <string>

#include "base/status.h"

namespace touchstream::test {

// Writes into `dir`: ca.pem and ca.key (the CA), server.pem and server.key (CN and
// subjectAltName IP 127.0.0.1, signed by the CA), each valid for a day. Internal with openssl's
// output when a command fails.
Status MakeTestCertificates(const std::string& dir);

}  // namespace touchstream::test
