#include "app/UserCommand.h"

#include <iostream>
#include <memory>

#include "service/AccountService.h"

namespace passerelle::app {

int runUserAdmin(storage::Store& store, const std::vector<std::string>& args, const UserOptions& options,
                 std::istream& in, std::ostream& out, std::ostream& err) {
    if (args.size() != 3 || args[0] != "create-user") {
        err << "usage : passerelle admin create-user ORGANISATION EMAIL --name \"Prénom Nom\" --role admin|membre"
               " [--password-stdin [--keep-password]]"
            << std::endl;
        return 64;
    }
    if (options.keepPassword && !options.passwordStdin) {
        err << "erreur : --keep-password ne s'emploie qu'avec --password-stdin (un mot de passe provisoire est toujours à changer)."
            << std::endl;
        return 64;
    }
    service::NewUser input{args[1], args[2], options.name, options.role, ""};
    input.mustChangePassword = !options.keepPassword;
    if (options.passwordStdin) {
        std::getline(in, input.password);
        if (!input.password.empty() && input.password.back() == '\r') input.password.pop_back();
        if (input.password.empty()) {
            err << "erreur : --password-stdin : aucun mot de passe lu sur l'entrée standard." << std::endl;
            return 65;
        }
    }
    // A non-owning pointer: the store outlives this call.
    std::shared_ptr<storage::Store> shared(&store, [](storage::Store*) {});
    service::AccountService accounts(shared);
    auto created = accounts.createUser(std::nullopt, input);
    if (!created.isOk()) {
        const Status& s = created.status();
        err << "erreur : " << s.message() << std::endl;
        for (const auto& d : s.details())
            if (d.message != s.message()) err << "  " << d.path << " : " << d.message << std::endl;
        return s.code() == Status::Code::NotFound ? 66 : s.code() == Status::Code::Internal ? 70 : 65;
    }
    const auto& u = created.value().user;
    out << "Compte créé : " << u.id << " (" << u.name << ", " << (u.role == "admin" ? "administrateur" : "membre") << ")"
        << std::endl;
    if (!created.value().oneTimePassword.empty()) {
        out << "Mot de passe provisoire (affiché une seule fois, à changer à la première connexion) : "
            << created.value().oneTimePassword << std::endl;
    } else if (u.mustChangePassword) {
        out << "Le mot de passe donné est à changer à la première connexion." << std::endl;
    }
    out << "Connexion : http://127.0.0.1:8080/connexion" << std::endl;
    return 0;
}

} // namespace passerelle::app
