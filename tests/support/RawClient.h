#pragma once
// Raw TCP clients for the HTTP front's tests: many connections from chosen
// loopback source addresses (127.0.0.x, so that per-address limits can be
// exercised), partial writes, and reading what the server sends back.
// Header-only, POSIX sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

namespace passerelle::testing {

// Raises the soft limit on open files to the hard one (many connections in one process).
inline void raiseOpenFileLimit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

// A connected socket to 127.0.0.1:port from `source` (e.g. "127.0.0.7"); -1 on failure.
// `rcvbuf` > 0 shrinks the receive buffer (a client that reads nothing holds little in the kernel).
inline int connectFrom(const std::string& source, unsigned short port, int rcvbuf = 0) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &src.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) { ::close(fd); return -1; }
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) { ::close(fd); return -1; }
    return fd;
}

inline bool sendAll(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads until `until` appears (if not empty), the peer closes, or `seconds` pass.
inline std::string readFor(int fd, double seconds, const std::string& until = "") {
    std::string out;
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
        if (left <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
        char buf[16384];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (!until.empty() && out.find(until) != std::string::npos) break;
    }
    return out;
}

// Reads one complete response with a Content-Length body (or until close/timeout).
inline std::string readResponse(int fd, double seconds) {
    std::string out;
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        std::size_t h = out.find("\r\n\r\n");
        if (h != std::string::npos) {
            std::size_t cl = out.find("Content-Length: ");
            if (cl != std::string::npos && cl < h) {
                std::size_t len = std::stoul(out.substr(cl + 16));
                if (out.size() >= h + 4 + len) return out.substr(0, h + 4 + len);
            }
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
        if (left <= 0) return out;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return out;
        char buf[16384];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return out;
        out.append(buf, static_cast<std::size_t>(n));
    }
}

inline int statusOf(const std::string& response) {
    if (response.compare(0, 9, "HTTP/1.1 ") != 0 && response.compare(0, 9, "HTTP/1.0 ") != 0) return 0;
    return std::atoi(response.c_str() + 9);
}

} // namespace passerelle::testing
