#pragma once
// What the web tests drive the pages with: a browser's cookie jar over testing::httpRequest
// (form posts, the session's CSRF token, signing in), and a page's text as a person reads it.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/HttpClient.h"

namespace passerelle::testing {

// application/x-www-form-urlencoded, in the order given (repeated names stay repeated).
std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields);

// A file of a multipart/form-data post: the input's name, the file's name, its declared type and bytes.
struct FilePart {
    std::string name;
    std::string fileName;
    std::string contentType;
    std::string bytes;
};

// multipart/form-data (fields in order, then the files) with `boundary`.
std::string multipartEncode(const std::vector<std::pair<std::string, std::string>>& fields, const std::vector<FilePart>& files,
                            const std::string& boundary);

struct WebBrowser {
    unsigned short port = 0;
    std::map<std::string, std::string> cookies;
    std::map<std::string, std::string> headers; // sent with every request (e.g. X-Forwarded-For)

    // Sends the jar's cookies and keeps the ones the answer sets (Max-Age=0 removes).
    HttpResult send(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& contentType = "application/x-www-form-urlencoded");
    HttpResult get(const std::string& path) { return send("GET", path); }
    HttpResult post(const std::string& path, const std::vector<std::pair<std::string, std::string>>& fields) {
        return send("POST", path, formEncode(fields));
    }
    // A form with a file input (enctype="multipart/form-data").
    HttpResult postMultipart(const std::string& path, const std::vector<std::pair<std::string, std::string>>& fields,
                             const std::vector<FilePart>& files);
    // The session's CSRF token, read from the form of the page at `path` ("" when there is none).
    std::string csrf(const std::string& path);
    HttpResult signIn(const std::string& email, const std::string& password);
};

// The HTML entities the views write (mstch escapes & < > " ' / = `), decoded.
std::string decodeEntities(std::string html);
// The text of a page without its tags, spaces normalised.
std::string pageText(const std::string& html);

} // namespace passerelle::testing
