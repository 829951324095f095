#pragma once
// Status: an error as a value, after leveldb's Status. OK is cheap; errors are
// built with named constructors. `code()` is a stable machine code, `message()`
// is French text meant for a person. `details()` carries per-field problems
// (JSON pointer path + French message + machine rule) for validation errors.
#include <string>
#include <vector>

namespace passerelle {

struct FieldError {
    std::string path;    // JSON pointer, e.g. "/menage/membres/0/nom"
    std::string rule;    // stable machine code, e.g. "required", "max_length"
    std::string message; // French, for a person
};

class Status {
public:
    enum class Code {
        Ok,
        InvalidArgument,    // bad input (400)
        NotFound,           // unknown form, variant, resource (404)
        PayloadTooLarge,    // body over the limit (413)
        UnsupportedMedia,   // not JSON (415)
        Unauthenticated,    // no or bad key (401)
        PermissionDenied,   // not allowed (403)
        FailedPrecondition, // consent withdrawn/expired, state conflict (409)
        Internal,           // a bug or a library failure (500)
        Unavailable,        // out of time or capacity: retry later (503; 429 when saturated)
    };

    Status() = default;
    static Status ok() { return Status(); }
    static Status invalidArgument(std::string errorCode, std::string message,
                                  std::vector<FieldError> details = {}) {
        return Status(Code::InvalidArgument, std::move(errorCode), std::move(message), std::move(details));
    }
    static Status notFound(std::string errorCode, std::string message) {
        return Status(Code::NotFound, std::move(errorCode), std::move(message), {});
    }
    static Status payloadTooLarge(std::string errorCode, std::string message) {
        return Status(Code::PayloadTooLarge, std::move(errorCode), std::move(message), {});
    }
    static Status unsupportedMedia(std::string errorCode, std::string message) {
        return Status(Code::UnsupportedMedia, std::move(errorCode), std::move(message), {});
    }
    static Status unauthenticated(std::string errorCode, std::string message) {
        return Status(Code::Unauthenticated, std::move(errorCode), std::move(message), {});
    }
    static Status permissionDenied(std::string errorCode, std::string message) {
        return Status(Code::PermissionDenied, std::move(errorCode), std::move(message), {});
    }
    static Status failedPrecondition(std::string errorCode, std::string message) {
        return Status(Code::FailedPrecondition, std::move(errorCode), std::move(message), {});
    }
    static Status internal(std::string errorCode, std::string message) {
        return Status(Code::Internal, std::move(errorCode), std::move(message), {});
    }
    static Status unavailable(std::string errorCode, std::string message) {
        return Status(Code::Unavailable, std::move(errorCode), std::move(message), {});
    }

    bool isOk() const { return _code == Code::Ok; }
    Code code() const { return _code; }
    const std::string& errorCode() const { return _errorCode; }
    const std::string& message() const { return _message; }
    const std::vector<FieldError>& details() const { return _details; }

    // "message" followed by one line per detail: "  /path : message".
    std::string toString() const;

private:
    Status(Code c, std::string errorCode, std::string message, std::vector<FieldError> details)
        : _code(c), _errorCode(std::move(errorCode)), _message(std::move(message)), _details(std::move(details)) {}

    Code _code = Code::Ok;
    std::string _errorCode = "ok";
    std::string _message;
    std::vector<FieldError> _details;
};

// A value or an error.
template <typename T>
class Result {
public:
    Result(T value) : _value(std::move(value)) {}
    Result(Status status) : _status(std::move(status)) {}
    bool isOk() const { return _status.isOk(); }
    const Status& status() const { return _status; }
    const T& value() const { return _value; }
    T& value() { return _value; }
    T&& take() { return std::move(_value); }

private:
    Status _status;
    T _value{};
};

} // namespace passerelle
