#pragma once
// Helpers of the form-page tests: the repository's views rendered with mstch
// (as the server does), and a posted form made from a JSON document.
#include <map>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <mstch/mstch.hpp>

#include "web/form/FormPage.h"
#include "web/form/FormPost.h"

namespace passerelle::testing {

// Every web/views/**/*.mustache by name ("fields/text").
const std::map<std::string, std::string>& repoViews();
// The fields of a page as HTML: error summary then every field.
std::string renderFormHtml(const web::FormPage& page);
// The (pointer, text) pairs a browser would post for `data`: one per scalar,
// one per chosen option of a multiple choice; numbers and booleans as text.
web::PostedPairs pairsOf(const Poco::JSON::Object::Ptr& data);
// Number of occurrences of `needle` in `hay`.
std::size_t count(const std::string& hay, const std::string& needle);

} // namespace passerelle::testing
