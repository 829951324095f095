#pragma once
// Helpers shared by the test suites: real tools on real output.
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "service/RenderService.h"

namespace passerelle::testing {

std::string sourceDir();                       // repository root
std::string readFile(const std::string& path); // whole file, binary
void writeFile(const std::string& path, const std::string& bytes);
Poco::JSON::Object::Ptr readJson(const std::string& path);

// A fresh temporary directory, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return _path; }
    std::string file(const std::string& name) const { return _path + "/" + name; }

private:
    std::string _path;
};

struct CommandResult {
    int exitCode = -1;
    std::string out; // stdout
    std::string err; // stderr
};
// Runs a program (no shell) and captures its output.
CommandResult run(const std::vector<std::string>& argv);

// pdftotext (-layout off unless asked) of PDF bytes.
std::string pdfToText(const std::string& pdfBytes, bool layout = false);
// qpdf --check; returns true and the output when the structure is sound.
bool qpdfCheck(const std::string& pdfBytes, std::string* output = nullptr);
int pdfPageCount(const std::string& pdfBytes);
// pdftotext -raw without the running header and footer of each page, spaces normalised:
// the text of the body in reading order, so a value that continues on the next page is whole.
std::string pdfBodyText(const std::string& pdfBytes);

// Collapses every run of white space (spaces, NBSP, new lines) into one space.
std::string normaliseSpaces(const std::string& text);
// Every scalar value of a JSON input, as it should appear in a document
// (dates 22/11/2026, amounts 1 234,56 €, enums by label need the form: see
// expectedStrings in e2e tests). Strings are returned as they are.
void collectStrings(const Poco::JSON::Object::Ptr& obj, std::vector<std::string>& out);

// The catalog of the repository's forms/, templates/ and fonts/.
const service::Catalog& repoCatalog();

// examples/*.json, sorted by path, each with the longest form id that prefixes its name
// (examples/<form-id>-<name>.json; "" when none does).
struct ExampleFile {
    std::string file; // absolute path
    std::string name; // file name
    std::string form; // longest form id prefixing the file name
};
std::vector<ExampleFile> exampleFiles();

} // namespace passerelle::testing
