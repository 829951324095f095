#include "support/WebBrowser.h"

#include <regex>

#include <Poco/URI.h>

#include "support/TestSupport.h"

namespace passerelle::testing {

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [k, v] : fields) {
        std::string ek, ev;
        Poco::URI::encode(k, "&=+%#?/ ", ek);
        Poco::URI::encode(v, "&=+%#?/ ", ev);
        out += (out.empty() ? "" : "&") + ek + "=" + ev;
    }
    return out;
}

std::string multipartEncode(const std::vector<std::pair<std::string, std::string>>& fields, const std::vector<FilePart>& files,
                            const std::string& boundary) {
    std::string out;
    for (const auto& [k, v] : fields)
        out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
    for (const auto& f : files)
        out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.name + "\"; filename=\"" + f.fileName +
               "\"\r\nContent-Type: " + f.contentType + "\r\n\r\n" + f.bytes + "\r\n";
    return out + "--" + boundary + "--\r\n";
}

HttpResult WebBrowser::postMultipart(const std::string& path, const std::vector<std::pair<std::string, std::string>>& fields,
                                     const std::vector<FilePart>& files) {
    const std::string boundary = "----passerelle-test-7f3a9c";
    return send("POST", path, multipartEncode(fields, files, boundary), "multipart/form-data; boundary=" + boundary);
}

HttpResult WebBrowser::send(const std::string& method, const std::string& path, const std::string& body,
                            const std::string& contentType) {
    HttpOptions o;
    o.headers = headers;
    std::string c;
    for (const auto& [k, v] : cookies) c += (c.empty() ? "" : "; ") + k + "=" + v;
    if (!c.empty()) o.headers["Cookie"] = c;
    auto r = httpRequest(port, method, path, body, contentType, o);
    std::string set = r.header("set-cookie");
    if (!set.empty()) {
        std::string pair = set.substr(0, set.find(';'));
        auto eq = pair.find('=');
        if (set.find("Max-Age=0") != std::string::npos) cookies.erase(pair.substr(0, eq));
        else cookies[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    return r;
}

std::string WebBrowser::csrf(const std::string& path) {
    auto r = get(path);
    std::smatch m;
    if (!std::regex_search(r.body, m, std::regex("name=\"_csrf\" value=\"([0-9a-f]+)\""))) return {};
    return m[1];
}

HttpResult WebBrowser::signIn(const std::string& email, const std::string& password) {
    std::string token = csrf("/connexion");
    return post("/connexion", {{"_csrf", token}, {"email", email}, {"password", password}});
}

std::string decodeEntities(std::string s) {
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"&#x2F;", "/"}, {"&#39;", "'"}, {"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#x3D;", "="}, {"&#x60;", "`"}, {"&amp;", "&"}}) {
        for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
    }
    return s;
}

std::string pageText(const std::string& html) {
    return normaliseSpaces(decodeEntities(std::regex_replace(html, std::regex("<[^>]*>"), " ")));
}

} // namespace passerelle::testing
