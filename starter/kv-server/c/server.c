/*
 * kv-server starter: a key-value server that speaks the Redis protocol (RESP2).
 *
 *   Build:  cc -std=c11 -O2 -Wall -Wextra -o server server.c
 *   Run:    ./server --port 6380
 *   Try:    redis-cli -p 6380 ping
 *   Grade:  npx sockgrade grade .
 *
 * What is here already: the networking. The server listens on 127.0.0.1, serves any number
 * of clients at once (one poll() event loop: a single thread that sleeps until some socket
 * is ready, then handles just that socket, so no locks are needed), reads whatever bytes
 * arrive and writes replies without ever blocking on one client.
 *
 * What is missing (the TODOs): the RESP parser, the commands, and expiry. Read the handout
 * first. Keys and values may hold any byte, '\0' included: keep them as a pointer and a
 * length, compare them with memcmp() (never strcmp()), and never rely on a terminating NUL.
 *
 * POSIX only (Linux and macOS), no libraries beyond libc.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_SIZE (64 * 1024)
#define MAX_CLIENTS 1000 /* below the usual limit of 1024 open files per process */

/* A growable byte buffer: data[0..len) is in use. */
struct buf {
    unsigned char *data;
    size_t len, cap;
};

/* Append n bytes. Returns 0 if memory ran out (the connection is then closed). */
static int buf_append(struct buf *b, const void *p, size_t n) {
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n) cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d) return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 1;
}

/* Remove the first n bytes. */
static void buf_consume(struct buf *b, size_t n) {
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* One argument of a command: bytes inside the connection's input buffer (not NUL-terminated). */
struct arg {
    const unsigned char *p;
    size_t len;
};

#define MAX_ARGS 64 /* TODO: commands like DEL k1 k2 ... may have more: grow an array instead */

/* ------------------------------------------------------------------------------------------
 * The RESP parser
 * ------------------------------------------------------------------------------------------ */

/*
 * Turns the byte stream from one client into commands.
 *
 * TCP is a byte stream, not a sequence of messages: one recv() may return half a command,
 * exactly one, or many commands and a half. The networking code below appends whatever
 * arrived to `in`; next_command() must then find ONE complete command at the front of
 * in->data[*used ..], fill args (pointing into the buffer), set *argc, advance *used past the
 * command, and return 1. If the rest of the command has not arrived yet, return 0 and leave
 * *used alone: the bytes stay in the buffer until the next recv() adds the rest. If the
 * bytes are not RESP, return -1.
 *
 * A command is an array of bulk strings:  *2\r\n$3\r\nGET\r\n$1\r\nk\r\n
 * TODO: parse "*<count>\r\n", then <count> times "$<length>\r\n", <length> bytes of data
 *       (which may contain \r\n and \0!) and "\r\n". Check that the bytes are there before
 *       you look at them ("is there a \r\n yet?", "are there length + 2 bytes yet?").
 */
static int next_command(const struct buf *in, size_t *used, struct arg *args, size_t *argc) {
    /* PLACEHOLDER, only so that the loop in serve() runs: it takes everything that has
     * arrived and pretends it is one command. It works only when a single recv() happens to
     * hold exactly one PING. Replace it. */
    static const char ping[] = "*1\r\n$4\r\nPING\r\n";
    size_t n = in->len - *used;
    const unsigned char *p = in->data + *used;
    if (n == 0) return 0;
    *used = in->len;
    int is_ping = n == sizeof ping - 1;
    for (size_t i = 0; is_ping && i < n; i++)
        if ((p[i] >= 'a' && p[i] <= 'z' ? p[i] - 'a' + 'A' : p[i]) != (unsigned char)ping[i]) is_ping = 0;
    if (is_ping) {
        args[0].p = (const unsigned char *)"PING";
        args[0].len = 4;
    } else {
        args[0].p = p;
        args[0].len = n;
    }
    *argc = 1;
    return 1;
}

/* ------------------------------------------------------------------------------------------
 * The commands
 * ------------------------------------------------------------------------------------------ */

/* TODO: the key space. Keys and values are bytes with a length. A linked list or an array
 * searched with memcmp() gets you started; a hash table keeps it fast with many keys (stage 7
 * measures throughput). Keys with an expiry (SET ... EX/PX) also need to remember when they
 * expire: clock_gettime(CLOCK_MONOTONIC, ...) in milliseconds, checked whenever a command
 * touches the key. Copy the bytes you keep (malloc + memcpy): args point into the input
 * buffer, which is reused after the command has run. */

/* Is the argument the command name `word` (upper case), ignoring ASCII case? */
static int is_command(const struct arg *a, const char *word) {
    size_t n = strlen(word);
    if (a->len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = a->p[i];
        if ((c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c) != (unsigned char)word[i]) return 0;
    }
    return 1;
}

/* Run one command and append its complete reply to `out`, e.g. "+PONG\r\n". */
static void execute(const struct arg *args, size_t argc, struct buf *out) {
    (void)argc; /* TODO: check the number of arguments of every command */
    if (is_command(&args[0], "PING")) {
        /* TODO: "PING message" replies with the message as a bulk string:
         *       "$<length>\r\n" (snprintf), the bytes, "\r\n". */
        buf_append(out, "+PONG\r\n", 7);
        return;
    }
    /* TODO: ECHO, SET (with EX/PX and NX/XX), GET, DEL, EXISTS, INCR.
     * TODO: an unknown command or a wrong number of arguments gets an error reply
     *       ("-ERR ...\r\n") and the connection stays open. */
    static const char err[] = "-ERR not implemented\r\n";
    buf_append(out, err, sizeof err - 1);
}

/* ------------------------------------------------------------------------------------------
 * Networking (you should not need to change much below)
 * ------------------------------------------------------------------------------------------ */

struct client {
    int fd;
    struct buf in;  /* bytes received but not parsed yet */
    struct buf out; /* replies not sent yet */
    int done;       /* the client sent its last byte (EOF) or garbage: close once out is sent */
};

static struct client *clients[MAX_CLIENTS];
static size_t nclients;

static void drop(size_t i) {
    struct client *c = clients[i];
    close(c->fd);
    free(c->in.data);
    free(c->out.data);
    free(c);
    clients[i] = clients[--nclients]; /* the last one takes its place */
}

/* send() what the kernel takes now. It may take fewer bytes than it was given; the rest waits
 * until poll() says the socket is writable again. Returns 0 if the client is gone. */
static int flush(struct client *c) {
    while (c->out.len > 0) {
        ssize_t n = send(c->fd, c->out.data, c->out.len, 0);
        if (n > 0) {
            buf_consume(&c->out, (size_t)n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 1;
        } else {
            return 0; /* EPIPE, ECONNRESET: the client vanished */
        }
    }
    return 1;
}

/* The client's socket is readable: recv() once, then run every complete command. Returns 0 if
 * the connection must be closed now. */
static int serve(struct client *c) {
    unsigned char chunk[READ_SIZE];
    /* recv(): whatever has arrived, 1 byte or 64 KiB, part of a command or many. */
    ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);
    if (n < 0) return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK; /* else ECONNRESET... */
    if (n == 0) {
        /* EOF: the client closed (or half-closed, shutdown(SHUT_WR)) its side. No more commands
         * will come, but it may still be waiting for replies: send them, then close. */
        c->done = 1;
        return 1;
    }
    if (!buf_append(&c->in, chunk, (size_t)n)) return 0;

    size_t used = 0;
    struct arg args[MAX_ARGS];
    size_t argc = 0;
    int r;
    while ((r = next_command(&c->in, &used, args, &argc)) == 1) execute(args, argc, &c->out);
    if (r < 0) {
        /* After garbage we cannot know where the next command starts: report it and close this
         * connection (the others carry on). */
        static const char err[] = "-ERR Protocol error\r\n";
        buf_append(&c->out, err, sizeof err - 1);
        c->done = 1;
    }
    buf_consume(&c->in, used); /* keep only the incomplete rest */
    return 1;
}

static int set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

int main(int argc, char **argv) {
    int port = 6380;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--port PORT]\n", argv[0]);
            return 2;
        }
    }
    if (port < 1 || port > 65535) {
        fprintf(stderr, "kv-server: --port must be 1 to 65535\n");
        return 2;
    }

    /* Writing to a client that has reset its connection raises SIGPIPE, which by default kills
     * the whole process. Ignore it: send() then fails with EPIPE, for that client only. */
    signal(SIGPIPE, SIG_IGN);

    /* socket(): a TCP endpoint (IPv4, a byte stream). */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    /* SO_REUSEADDR: bind the port again at once after a restart, without waiting out TIME_WAIT. */
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* bind(): give it the address 127.0.0.1:port. Ports and addresses are in network byte
     * order (big-endian): htons() converts the port. */
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    /* inet_pton(): an address from its text form, in network byte order. (Not INADDR_LOOPBACK:
     * macOS hides it from strictly POSIX programs like this one.) */
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    /* listen(): start queuing incoming connections (up to 1024 waiting for accept()). */
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 1024) < 0) {
        fprintf(stderr, "kv-server: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    set_nonblocking(lfd);
    printf("kv-server listening on 127.0.0.1:%d\n", port);
    fflush(stdout);

    static struct pollfd pfds[MAX_CLIENTS + 1];
    for (;;) {
        /* poll(): sleep until the listening socket has a connection waiting, or a client's
         * socket has bytes to read (POLLIN) or room for our replies (POLLOUT). */
        pfds[0].fd = lfd;
        pfds[0].events = nclients < MAX_CLIENTS ? POLLIN : 0;
        for (size_t i = 0; i < nclients; i++) {
            pfds[i + 1].fd = clients[i]->fd;
            pfds[i + 1].events = (short)((clients[i]->done ? 0 : POLLIN) | (clients[i]->out.len ? POLLOUT : 0));
            pfds[i + 1].revents = 0;
        }
        size_t polled = nclients;
        if (poll(pfds, polled + 1, -1) < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 1;
        }

        /* Backwards, because drop(i) moves the last client into slot i. */
        for (size_t i = polled; i-- > 0;) {
            struct client *c = clients[i];
            int ok = 1;
            if (pfds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) ok = c->done || serve(c);
            /* Send the replies of everything that arrived: one send() for all of them. */
            if (ok) ok = flush(c);
            if (!ok || (c->done && c->out.len == 0)) drop(i);
        }

        /* accept(): take each waiting connection; it gets a socket of its own. */
        if (pfds[0].revents & POLLIN) {
            int fd;
            while (nclients < MAX_CLIENTS && (fd = accept(lfd, NULL, NULL)) >= 0) {
                struct client *c = calloc(1, sizeof *c);
                if (!c || !set_nonblocking(fd)) {
                    free(c);
                    close(fd);
                    continue;
                }
                c->fd = fd;
                clients[nclients++] = c;
            }
        }
    }
}
