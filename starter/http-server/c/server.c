/*
 * http-server starter (C, POSIX): a static file server that speaks HTTP/1.1.
 *
 *   Build:  cc -std=c11 -O2 -Wall -Wextra -o server server.c
 *   Run:    ./server --port 8080 --root www
 *   Try:    curl -v http://127.0.0.1:8080/
 *   Grade:  npx sockgrade grade .
 *
 * What is here: a server that listens on 127.0.0.1, accepts one connection at a time, reads
 * once from it, answers with the document root's index.html whatever was asked, and closes.
 *
 * What is missing (the TODOs): nearly everything the handout asks, starting with the
 * request parser. The biggest change is structural: serve many clients at once (poll() with
 * non-blocking sockets, or a thread per client), and never block on one client's read or
 * write while others wait.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define READ_SIZE 65536

static const char *root = ".";

/* Write all of buf: write() may take only part of it. Returns 0, or -1 if the client is gone. */
static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The whole file in a malloc'ed buffer (binary: any byte, no conversion); NULL if unreadable. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *data = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char *bigger = realloc(data, cap);
            if (!bigger) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = bigger;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    *len = n;
    return data;
}

/* Send one response: status line, headers (Content-Length always), empty line, body. */
static int send_response(int fd, int status, const char *reason, const char *type, const char *body, size_t len) {
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "\r\n",
                     status, reason, type, len);
    if (write_all(fd, head, (size_t)n) < 0) return -1;
    return write_all(fd, body, len);
}

static void serve_client(int fd) {
    char buf[READ_SIZE];
    /* PLACEHOLDER: one read() is taken to be one whole request. TCP is a byte stream: a read
     * may hold half a request or several (pipelining).
     * TODO: keep a buffer per connection; a request ends at the empty line "\r\n\r\n".
     * TODO: parse the request line (exactly METHOD TARGET VERSION) and the headers; anything
     *       else is 400 Bad Request. A Content-Length body is read and skipped. */
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return;

    /* TODO: methods other than GET and HEAD: 405 with "Allow: GET, HEAD".
     * TODO: map the target to a file under root: cut off "?query", decode %XX escapes,
     *       resolve "." and "..", refuse (403/404) anything outside root; a folder means its
     *       index.html; a missing file is 404; Content-Type from the extension.
     * TODO: HEAD: the same headers, no body. */
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", root); /* PLACEHOLDER: always the index page */
    size_t len = 0;
    char *body = read_file(path, &len);
    if (body) {
        send_response(fd, 200, "OK", "text/html", body, len);
        free(body);
    } else {
        static const char msg[] = "404 Not Found\n";
        send_response(fd, 404, "Not Found", "text/plain", msg, sizeof msg - 1);
    }
    /* TODO: HTTP/1.1 keeps the connection open for the next request unless the client sent
     *       "Connection: close"; HTTP/1.0 closes it. */
}

int main(int argc, char **argv) {
    int port = 8080;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
            root = argv[++i];
        } else {
            fprintf(stderr, "usage: %s --port P --root DIR\n", argv[0]);
            return 2;
        }
    }
    /* A client that disconnects while we write would otherwise kill the process (SIGPIPE):
     * ignore it and get EPIPE from write() instead. */
    signal(SIGPIPE, SIG_IGN);

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) {
        perror("socket");
        return 1;
    }
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    /* inet_pton, not INADDR_LOOPBACK: macOS defines that only outside strict POSIX mode. */
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 128) < 0) {
        fprintf(stderr, "http-server: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("http-server listening on http://127.0.0.1:%d/, serving %s\n", port, root);
    fflush(stdout);

    for (;;) {
        /* TODO: one client at a time: while serve_client() waits for this client, nobody
         *       else is served. */
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) continue;
            perror("accept");
            continue;
        }
        serve_client(fd);
        close(fd);
    }
}
