#pragma once
// HTTP/1.1 request heads and chunked bodies, parsed from bytes (RFC 9112).
// Pure functions over buffers; no sockets. Used by the front (HttpFront.cpp).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace passerelle::http {

struct HeadLimits {
    std::size_t maxRequestLineBytes = 8 * 1024;
    std::size_t maxHeaderBytes = 32 * 1024;
    int maxHeaderCount = 100;
};

// A parsed request head. Header names are lower-case; repeated headers are
// joined with ", " (Content-Length excepted: repeated values must agree).
struct RequestHead {
    std::string method;
    std::string target;
    int minorVersion = 1;                     // HTTP/1.<minorVersion>
    std::map<std::string, std::string> headers;
    bool chunked = false;                     // Transfer-Encoding: chunked
    std::int64_t contentLength = -1;          // -1: none
    bool keepAlive = true;
    bool expectContinue = false;
};

// The outcome of looking for a head at the start of a buffer.
struct HeadParse {
    enum class State { Incomplete, Complete, Error } state = State::Incomplete;
    std::size_t headBytes = 0; // Complete: bytes of the head, final CRLFCRLF included
    int status = 0;            // Error: 400, 414 or 431
    std::string error;         // Error: machine code
    std::string message;       // Error: French, for a person
};

// Parses `buffer` (the bytes received so far). Incomplete while no blank line
// has arrived and no limit is exceeded.
HeadParse parseHead(std::string_view buffer, const HeadLimits& limits, RequestHead& head);

// Incremental decoder of a chunked body. feed() consumes what it can from
// `in` (removing it) and appends the data to `out`.
class ChunkedDecoder {
public:
    enum class Result { NeedMore, Done, Error };
    Result feed(std::string& in, std::string& out);
    const std::string& error() const { return _error; }

private:
    enum class Step { Size, Data, DataEnd, Trailer } _step = Step::Size;
    std::uint64_t _left = 0;
    std::string _error;
};

} // namespace passerelle::http
