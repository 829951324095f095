#pragma once
// `passerelle admin create-user ORG EMAIL --name "Prénom Nom" --role admin|membre [--password-stdin]`:
// creates a person who signs in to the web pages. Without --password-stdin a
// one-time password is printed once (the person chooses theirs at the first
// sign-in); with it, the first line of standard input is the password.
// Messages in French; exit codes as runAdmin (sysexits.h).
#include <iosfwd>
#include <string>
#include <vector>

#include "storage/Store.h"

namespace passerelle::app {

struct UserOptions {
    std::string name;
    std::string role;
    bool passwordStdin = false;
    bool keepPassword = false; // with passwordStdin: no change asked at the first sign-in (provisioning, tests)
};

// args: "create-user" ORG EMAIL.
int runUserAdmin(storage::Store& store, const std::vector<std::string>& args, const UserOptions& options,
                 std::istream& in, std::ostream& out, std::ostream& err);

} // namespace passerelle::app
