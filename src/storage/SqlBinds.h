#pragma once
// Small SQL helpers shared by the store files: bound values kept alive until the
// statement ran, "$n" placeholders turned into "?" on SQLite, base64 for text columns.
#include <deque>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

namespace passerelle::storage::sql {

using Poco::Int64;
using namespace Poco::Data::Keywords;

inline std::string toBase64(const std::string& bytes) {
    std::ostringstream s;
    Poco::Base64Encoder enc(s);
    enc.rdbuf()->setLineLength(0);
    enc << bytes;
    enc.close();
    return s.str();
}

inline std::string fromBase64(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder dec(in);
    std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    return out;
}

inline std::string nowIso() { return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ"); }

// Bound values kept alive until the statement ran; each call returns "$n".
class Binds {
public:
    std::string str(const std::string& v) {
        _s.push_back(v);
        return push(useRef(_s.back()));
    }
    std::string num(Int64 v) {
        _i.push_back(v);
        return push(useRef(_i.back()));
    }
    std::string blob(const std::string& v) {
        _b.emplace_back(reinterpret_cast<const unsigned char*>(v.data()), v.size());
        return push(useRef(_b.back()));
    }
    template <typename... E>
    std::size_t exec(Poco::Data::Session& s, std::string sql, E... extractions) {
        if (s.connector() == "sqlite")
            for (char& c : sql)
                if (c == '$') c = '?';
        Poco::Data::Statement st(s);
        st << sql;
        for (auto& b : _binds) st.addBind(b);
        (st.addExtract(extractions), ...);
        return st.execute();
    }

private:
    std::string push(Poco::Data::AbstractBinding::Ptr b) {
        _binds.push_back(std::move(b));
        return "$" + std::to_string(_binds.size());
    }
    std::deque<std::string> _s;
    std::deque<Int64> _i;
    std::deque<Poco::Data::BLOB> _b;
    std::vector<Poco::Data::AbstractBinding::Ptr> _binds;
};

// One statement on a session: text with "$n" placeholders and the values bound to them, in order.
class Sql {
public:
    explicit Sql(Poco::Data::Session& s) : _s(s) {}
    std::string str(const std::string& v) { return _b.str(v); }
    std::string num(Int64 v) { return _b.num(v); }
    std::string blob(const std::string& v) { return _b.blob(v); }
    template <typename... E>
    std::size_t run(const std::string& sql, E... extractions) {
        return _b.exec(_s, sql, extractions...);
    }

private:
    Poco::Data::Session& _s;
    Binds _b;
};

// A per-partnership on/off setting kept in `table` (association_id, bailleur_id, enabled,
// updated_at; e.g. signing_link_settings, in_person_consent_settings), inside the caller's
// transaction or read session.
inline void writePartnershipFlag(Poco::Data::Session& s, const std::string& table, const std::string& associationId,
                                 const std::string& bailleurId, bool enabled) {
    {
        Binds b;
        b.exec(s, "DELETE FROM " + table + " WHERE association_id = " + b.str(associationId) + " AND bailleur_id = " +
                      b.str(bailleurId));
    }
    Binds b;
    b.exec(s, "INSERT INTO " + table + " (association_id, bailleur_id, enabled, updated_at) VALUES (" + b.str(associationId) +
                  ", " + b.str(bailleurId) + ", " + b.num(enabled ? 1 : 0) + ", " + b.str(nowIso()) + ")");
}
inline bool readPartnershipFlag(Poco::Data::Session& s, const std::string& table, const std::string& associationId,
                                const std::string& bailleurId) {
    std::vector<Int64> rows;
    Binds b;
    b.exec(s, "SELECT enabled FROM " + table + " WHERE association_id = " + b.str(associationId) + " AND bailleur_id = " +
                  b.str(bailleurId),
           into(rows));
    return !rows.empty() && rows.front() != 0;
}

} // namespace passerelle::storage::sql
