/*
 * gossip-peer starter: a peer that should gossip every value to every other peer.
 *
 *   Build:  cc -std=c11 -O2 -Wall -Wextra -o peer peer.c
 *   Run:    ./peer --id n1 --port 7001 --peers ""
 *   Try:    printf '{"type":"broadcast","message":5,"msg_id":1}\n' | nc 127.0.0.1 7001
 *   Grade:  npx sockgrade grade .
 *
 * What is here already: one peer answering its clients. It listens on 127.0.0.1, serves any
 * number of connections at once (one poll() event loop: a single thread that sleeps until
 * some socket is ready, then handles just that socket, so no locks are needed), splits the
 * byte stream into lines, checks that each line is one JSON object, and answers broadcast
 * and read. With no neighbours (--peers "") that is all a peer has to do: stage 1 of the
 * grader passes.
 *
 * What is missing (the TODOs): talking to the neighbours in --peers. Read the handout first.
 * In order:
 *   1. connect to every neighbour and keep retrying (with backoff) when it is down;
 *   2. send each new value to every neighbour, and handle the neighbours' lines;
 *   3. make it cheap: remember what each neighbour already has, batch values;
 *   4. make it reliable: acknowledgements and resending (lines get lost silently in a
 *      partition), and a full catch-up when a neighbour (re)connects.
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (64 * 1024)
/* A line longer than this is garbage: drop what was buffered rather than grow forever. */
#define MAX_LINE_BYTES (16 * 1024 * 1024)
#define MAX_CONNS 1000 /* below the usual limit of 1024 open files per process */
/* How often tick() runs: the sender's clock (a hop costs 100 ms on the grader's grid). */
#define TICK_MS 30

/* A growable byte buffer: data[0..len) is in use. */
struct buf {
    char *data;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *p, size_t n) {
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            fprintf(stderr, "gossip-peer: out of memory\n");
            exit(1);
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_str(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_consume(struct buf *b, size_t n) {
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* monotonic: does not jump when the clock is set */
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------------------------------
 * State
 * ------------------------------------------------------------------------------------------ */

/* Every value this peer has learned, from a client or (once you write it) a neighbour, kept
 * sorted so that each is stored once: read_ok must list each value exactly once. */
static long long *values;
static size_t nvalues, capvalues;

/* Add v; returns 1 if it is new, 0 if it was known. */
static int add_value(long long v) {
    size_t lo = 0, hi = nvalues;
    while (lo < hi) { /* binary search for where v belongs */
        size_t mid = (lo + hi) / 2;
        if (values[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < nvalues && values[lo] == v) return 0;
    if (nvalues == capvalues) {
        capvalues = capvalues ? capvalues * 2 : 256;
        values = realloc(values, capvalues * sizeof *values);
        if (!values) {
            fprintf(stderr, "gossip-peer: out of memory\n");
            exit(1);
        }
    }
    memmove(values + lo + 1, values + lo, (nvalues - lo) * sizeof *values);
    values[lo] = v;
    nvalues++;
    return 1;
}

/* The neighbours from --peers. Each address is the grader's proxy for one link (this peer ->
 * that neighbour). */
struct neighbour {
    char host[64];
    int port;
    /* TODO: what you need per neighbour, for example: the connection to it (a struct conn *,
     *   NULL when there is none; not an index into conns, which drop() reorders), when to try
     *   connecting again and the current backoff, the values queued for it, the values it is
     *   known to have, batches sent but not acknowledged. */
};
static struct neighbour *neighbours;
static size_t nneighbours;

/* This peer's id (--id), e.g. "n1". Handy in your own lines, so that the receiver can tell
 * which neighbour a value came from. */
static const char *my_id = "";

/* One connection: a client, a neighbour that connected to us, or (once you write it) a
 * connection we opened to a neighbour. */
struct conn {
    int fd;
    struct buf in;  /* bytes received, not yet a complete line */
    struct buf out; /* lines not sent yet */
    int done;       /* the other side sent its last byte (EOF): close once out is sent */
    int neighbour;  /* -1: incoming. TODO: the index of the neighbour for connections you open */
    int connecting; /* TODO: 1 while a non-blocking connect() is in progress */
};
static struct conn *conns[MAX_CONNS];
static size_t nconns;

/* ------------------------------------------------------------------------------------------
 * JSON: just enough to check a line is one object and to find its members
 * ------------------------------------------------------------------------------------------ */

/* A span of the line: the raw JSON text of a value (a string still has its quotes). */
struct span {
    const char *p;
    size_t len;
};

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

/* Parse one JSON value at p; return the end of it, or NULL if it is not valid JSON. */
static const char *json_value(const char *p, const char *end, int depth);

static const char *json_string(const char *p, const char *end) {
    if (p >= end || *p != '"') return NULL;
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL; /* control characters must be escaped */
        if (c == '\\') {
            if (++p >= end) return NULL;
            if (*p == 'u') {
                for (int i = 0; i < 4; i++)
                    if (++p >= end || !strchr("0123456789abcdefABCDEF", *p)) return NULL;
            } else if (!strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
    }
    return NULL;
}

static const char *json_number(const char *p, const char *end) {
    if (p < end && *p == '-') p++;
    if (p >= end || *p < '0' || *p > '9') return NULL;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9') p++;
    if (p < end && *p == '.') {
        if (++p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    return p;
}

static const char *json_value(const char *p, const char *end, int depth) {
    if (depth > 64) return NULL; /* nested too deep: refuse rather than recurse forever */
    p = skip_ws(p, end);
    if (p >= end) return NULL;
    if (*p == '"') return json_string(p, end);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = skip_ws(p + 1, end);
        if (p < end && *p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                p = json_string(skip_ws(p, end), end);
                if (!p) return NULL;
                p = skip_ws(p, end);
                if (p >= end || *p != ':') return NULL;
                p++;
            }
            p = json_value(p, end, depth + 1);
            if (!p) return NULL;
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == close) return p + 1;
            return NULL;
        }
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(end - p) >= n && memcmp(p, words[i], n) == 0) return p + n;
    }
    return json_number(p, end);
}

/*
 * If the line is exactly one JSON object, find the top-level members named in `names` and set
 * their spans (len 0 = absent), and return 1; return 0 if it is not one JSON object.
 * (Bytes that are not UTF-8 inside strings are let through: no name here matches them.)
 */
static int json_object_members(const char *line, size_t n, const char *const *names, struct span *found, size_t nnames) {
    const char *end = line + n;
    const char *p = skip_ws(line, end);
    for (size_t i = 0; i < nnames; i++) found[i] = (struct span){line, 0};
    if (p >= end || *p != '{') return 0;
    const char *after = json_value(p, end, 0);
    if (!after || skip_ws(after, end) != end) return 0; /* not JSON, or more after the object */
    /* The object is valid: walk its members once more, now picking out the ones we want. */
    p = skip_ws(p + 1, end);
    while (p < end && *p == '"') {
        const char *key_end = json_string(p, end);
        const char *v = skip_ws(skip_ws(key_end, end) + 1, end); /* past the ':' */
        const char *v_end = json_value(v, end, 0);
        for (size_t i = 0; i < nnames; i++) {
            size_t kl = (size_t)(key_end - p) - 2;
            if (kl == strlen(names[i]) && memcmp(p + 1, names[i], kl) == 0) {
                found[i].p = v;
                found[i].len = (size_t)(v_end - v);
            }
        }
        p = skip_ws(v_end, end);
        if (p < end && *p == ',') p = skip_ws(p + 1, end);
    }
    return 1;
}

static int span_is(struct span s, const char *json_text) { return s.len == strlen(json_text) && memcmp(s.p, json_text, s.len) == 0; }

/* A JSON integer that fits in a long long (not 1.5, not 1e3, not "7", not true). */
static int span_integer(struct span s, long long *out) {
    if (s.len == 0 || s.len > 20) return 0;
    char tmp[24];
    memcpy(tmp, s.p, s.len);
    tmp[s.len] = '\0';
    if (json_number(tmp, tmp + s.len) != tmp + s.len || strpbrk(tmp, ".eE")) return 0;
    errno = 0;
    long long v = strtoll(tmp, NULL, 10);
    if (errno == ERANGE) return 0;
    *out = v;
    return 1;
}

/* ------------------------------------------------------------------------------------------
 * Lines, from clients (and from neighbours, once you add your own types)
 * ------------------------------------------------------------------------------------------ */

/* Append `{"type":"error","text":"<text>"}` (text holds no quotes or backslashes). */
static void reply_error(struct buf *out, const char *text) {
    buf_str(out, "{\"type\":\"error\",\"text\":\"");
    buf_str(out, text);
    buf_str(out, "\"}\n");
}

/* The client's msg_id, as it sent it, for in_reply_to: any JSON value (null when absent). */
static void add_in_reply_to(struct buf *out, struct span msg_id) {
    buf_str(out, ",\"in_reply_to\":");
    if (msg_id.len)
        buf_add(out, msg_id.p, msg_id.len);
    else
        buf_str(out, "null");
    buf_str(out, "}\n");
}

/* Handle one line from any connection (without its '\n'); append the reply line, if any, to c->out. */
static void handle_line(struct conn *c, const char *line, size_t n) {
    size_t blank = 0;
    while (blank < n && strchr(" \t\r", line[blank])) blank++;
    if (blank == n) return; /* an empty line: nothing to answer */

    static const char *const names[] = {"type", "message", "msg_id"};
    struct span m[3] = {{0}};
    if (!json_object_members(line, n, names, m, 3)) {
        reply_error(&c->out, "expected one JSON object per line");
        return;
    }
    struct span type = m[0], message = m[1], msg_id = m[2];

    if (span_is(type, "\"broadcast\"")) {
        long long v;
        if (!span_integer(message, &v)) {
            buf_str(&c->out, "{\"type\":\"error\",\"text\":\"broadcast needs an integer \\\"message\\\"\"");
            add_in_reply_to(&c->out, msg_id);
            return;
        }
        if (add_value(v)) {
            /* TODO: a new value must reach every neighbour. Do not write to the neighbours from
             *   here, one line per value: queue it for each neighbour (the values to send per
             *   neighbour) and let tick() send what is queued, every few tens of ms, in ONE line. */
        }
        buf_str(&c->out, "{\"type\":\"broadcast_ok\"");
        add_in_reply_to(&c->out, msg_id);
        return;
    }

    if (span_is(type, "\"read\"")) {
        buf_str(&c->out, "{\"type\":\"read_ok\",\"messages\":[");
        for (size_t i = 0; i < nvalues; i++) {
            char num[32];
            int len = snprintf(num, sizeof num, "%s%lld", i ? "," : "", values[i]);
            buf_add(&c->out, num, (size_t)len);
        }
        buf_str(&c->out, "]");
        add_in_reply_to(&c->out, msg_id);
        return;
    }

    /* TODO: your own peer-to-peer lines, of your own design. For example:
     *   {"type":"gossip","from":"n1","id":7,"messages":[1,2,3]}
     *       -> add the values; the NEW ones go on to your other neighbours (not back to the
     *          one that sent them: it has them). Reply on the same connection:
     *   {"type":"gossip_ok","id":7}
     *       -> the neighbour got batch 7: never send those values to it again.
     *   A line on a connection that a neighbour opened to you comes from the proxy, so its
     *   address does not tell you who sent it: put your id in your lines. (Add "from", "id"
     *   or "messages" to `names` above to find them; walk a "messages" array with
     *   json_number().) */

    if (span_is(type, "\"error\"")) return; /* never answer an error with an error: two peers could ping-pong forever */
    reply_error(&c->out, "unknown type");
}

/* ------------------------------------------------------------------------------------------
 * Neighbours: all TODO
 * ------------------------------------------------------------------------------------------ */

/*
 * Runs every TICK_MS milliseconds (and whenever poll() wakes): the place to keep a
 * connection to every neighbour open, forever, and to gossip over it.
 *
 * TODO, step by step:
 *   1. Connect to each neighbour without one: socket(AF_INET, SOCK_STREAM, 0), make it
 *      non-blocking (set_nonblocking), then connect(); it returns -1 with errno EINPROGRESS:
 *      add it to conns with connecting = 1 and neighbour = its index. poll() then reports
 *      POLLOUT when the attempt is over: getsockopt(fd, SOL_SOCKET, SO_ERROR, ...) says
 *      whether it worked (0) or failed (ECONNREFUSED...). The neighbour may not be up yet, or
 *      die later: the grader's proxy then accepts and immediately resets the connection.
 *      On any failure, close it and try again, forever, with backoff: 100 ms, doubling to
 *      1 s; back to 100 ms after a connection that worked.
 *   2. On every new connection, send the neighbour everything it may lack: it may have
 *      restarted EMPTY (a restarted peer must catch up).
 *   3. While connected, send what is queued for each neighbour in one line per tick, and
 *      read the neighbour's replies (acknowledgements) on the same connection: they arrive
 *      in handle_line() like any other line.
 *   4. Lines get lost without an error while a link is cut (partitions): keep what was
 *      sent but not acknowledged, and resend it after ~0.5-1 s.
 *   5. Once every neighbour has every value, send nothing (or a small line at most once a
 *      second): the grader measures lines and bytes per link.
 */
static void tick(long long now) {
    (void)now;
}

/* ------------------------------------------------------------------------------------------
 * Networking (you should not need to change much below)
 * ------------------------------------------------------------------------------------------ */

static int set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/* Add a connection (an accepted one, or one you opened); returns it, or NULL if full. */
static struct conn *add_conn(int fd, int neighbour) {
    if (nconns == MAX_CONNS || !set_nonblocking(fd)) return NULL;
    struct conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fd = fd;
    c->neighbour = neighbour;
    conns[nconns++] = c;
    return c;
}

static void drop(size_t i) {
    struct conn *c = conns[i];
    /* TODO: if c is the connection to a neighbour (c->neighbour >= 0), note that it is gone:
     *   clear the neighbour's pointer to it, and set when to retry. */
    close(c->fd);
    free(c->in.data);
    free(c->out.data);
    free(c);
    conns[i] = conns[--nconns]; /* the last one takes its place */
}

/* send() what the kernel takes now; the rest waits for POLLOUT. Returns 0 if the other side
 * is gone. */
static int flush(struct conn *c) {
    while (c->out.len > 0) {
        ssize_t n = send(c->fd, c->out.data, c->out.len, 0);
        if (n > 0)
            buf_consume(&c->out, (size_t)n);
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        else
            return 0; /* EPIPE, ECONNRESET: the other side vanished */
    }
    return 1;
}

/*
 * The socket is readable: recv() once and handle every complete line. TCP is a byte stream:
 * one read may hold part of a line, one line, or many lines and a part; the part stays in
 * c->in until its newline arrives. Returns 0 if the connection must be closed now.
 */
static int serve(struct conn *c) {
    char chunk[READ_SIZE];
    ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);
    if (n < 0) return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK; /* else ECONNRESET... */
    if (n == 0) {
        /* EOF: no more lines will come. A last line without its newline still counts. */
        if (c->in.len) handle_line(c, c->in.data, c->in.len);
        c->in.len = 0;
        c->done = 1;
        return 1;
    }
    buf_add(&c->in, chunk, (size_t)n);
    size_t start = 0;
    for (;;) {
        char *nl = memchr(c->in.data + start, '\n', c->in.len - start);
        if (!nl) break;
        size_t len = (size_t)(nl - (c->in.data + start));
        handle_line(c, c->in.data + start, len);
        start += len + 1;
    }
    buf_consume(&c->in, start);
    if (c->in.len > MAX_LINE_BYTES) c->in.len = 0;
    return 1;
}

/* "127.0.0.1:7002,127.0.0.1:7003" -> neighbours; "" -> none. */
static int parse_peers(const char *text) {
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            char item[128];
            if (n >= sizeof item) return 0;
            memcpy(item, p, n);
            item[n] = '\0';
            char *colon = strrchr(item, ':');
            char *end;
            long port = colon ? strtol(colon + 1, &end, 10) : 0;
            if (!colon || colon[1] == '\0' || *end || port < 1 || port > 65535 || (size_t)(colon - item) >= sizeof neighbours->host) return 0;
            neighbours = realloc(neighbours, (nneighbours + 1) * sizeof *neighbours);
            if (!neighbours) return 0;
            struct neighbour *nb = &neighbours[nneighbours++];
            memset(nb, 0, sizeof *nb);
            *colon = '\0';
            memcpy(nb->host, item[0] ? item : "127.0.0.1", item[0] ? (size_t)(colon - item) + 1 : sizeof "127.0.0.1");
            nb->port = (int)port;
        }
        p += n;
        if (*p == ',') p++;
    }
    return 1;
}

static void usage(const char *why) {
    fprintf(stderr, "gossip-peer: %s\nusage: ./peer --id ID --port PORT [--peers HOST:PORT,...]\n", why);
    exit(2);
}

int main(int argc, char **argv) {
    const char *port_text = NULL, *peers = "";
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage("every option needs a value");
        if (strcmp(argv[i], "--id") == 0)
            my_id = argv[++i];
        else if (strcmp(argv[i], "--port") == 0)
            port_text = argv[++i];
        else if (strcmp(argv[i], "--peers") == 0)
            peers = argv[++i];
        else
            usage("unknown option");
    }
    if (!my_id[0] || !port_text) usage("--id and --port are required");
    int port = atoi(port_text);
    if (port < 1 || port > 65535) usage("--port must be 1 to 65535");
    if (!parse_peers(peers)) usage("bad --peers (expected host:port,host:port)");

    /* Writing to a connection the other side has reset raises SIGPIPE, which by default kills
     * the whole process. Ignore it: send() then fails with EPIPE, for that connection only. */
    signal(SIGPIPE, SIG_IGN);

    /* socket(): a TCP endpoint. SO_REUSEADDR: a peer killed and restarted on the same port
     * must be able to bind() it again at once. bind() to 127.0.0.1:port, then listen(). */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    /* inet_pton(): an address from its text form, in network byte order. (Not INADDR_LOOPBACK:
     * macOS hides it from strictly POSIX programs like this one.) */
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 1024) < 0) {
        fprintf(stderr, "gossip-peer: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    set_nonblocking(lfd);
    printf("gossip-peer %s listening on 127.0.0.1:%d, %zu neighbour(s)\n", my_id, port, nneighbours);
    fflush(stdout);

    static struct pollfd pfds[MAX_CONNS + 1];
    long long next_tick = now_ms();
    for (;;) {
        long long now = now_ms();
        if (now >= next_tick) {
            tick(now);
            next_tick = now + TICK_MS;
        }
        /* poll(): sleep until a connection is waiting, a socket has bytes to read (POLLIN) or
         * room for our lines (POLLOUT), or the next tick is due. */
        pfds[0].fd = lfd;
        pfds[0].events = nconns < MAX_CONNS ? POLLIN : 0;
        for (size_t i = 0; i < nconns; i++) {
            struct conn *c = conns[i];
            pfds[i + 1].fd = c->fd;
            pfds[i + 1].events = (short)((c->done || c->connecting ? 0 : POLLIN) | (c->out.len || c->connecting ? POLLOUT : 0));
            pfds[i + 1].revents = 0;
        }
        size_t polled = nconns;
        if (poll(pfds, polled + 1, (int)(next_tick - now)) < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 1;
        }

        /* Backwards, because drop(i) moves the last connection into slot i. */
        for (size_t i = polled; i-- > 0;) {
            struct conn *c = conns[i];
            short re = pfds[i + 1].revents;
            int ok = 1;
            /* TODO: if c->connecting and re is set, the connect() is over: check SO_ERROR. */
            if (re & (POLLIN | POLLHUP | POLLERR)) ok = c->done || serve(c);
            if (ok) ok = flush(c);
            if (!ok || (c->done && c->out.len == 0)) drop(i);
        }

        /* accept(): take each waiting connection (a client, or a neighbour via the proxy). */
        if (pfds[0].revents & POLLIN) {
            int fd;
            while (nconns < MAX_CONNS && (fd = accept(lfd, NULL, NULL)) >= 0)
                if (!add_conn(fd, -1)) close(fd);
        }
    }
}
