/*
 * kv-server reference solution in C: a key-value server that speaks RESP2 like Redis.
 *
 *   Build:  cc -std=c11 -O2 -Wall -Wextra -o server server.c
 *   Run:    ./server --port 6380
 *
 * Design in one paragraph: one thread, one poll() event loop, non-blocking sockets. Each
 * connection has an input buffer and an output buffer. After every read, the incremental
 * RESP parser takes every *complete* command the input holds (an unfinished one stays, and
 * the parser remembers how far it got, so bytes already parsed are not parsed again),
 * executes it, and appends its reply to the output buffer; the output is then written in
 * one go, and whatever the kernel did not take is written when poll() says the socket is
 * writable again. Keys and values are counted bytes (pointer + length) from the socket to
 * the store and back: nothing relies on a terminating NUL, so any byte is fine.
 *
 * POSIX only (Linux and macOS), no dependencies.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------------------------ */

/* A "*<n>" or "$<n>" header is a handful of bytes. If this many arrive without a CRLF, the
 * client is not speaking RESP: stop buffering (Redis uses the same 64 KiB limit). */
#define MAX_HEADER_LINE (64 * 1024)
/* Largest bulk string accepted (Redis's default proto-max-bulk-len). */
#define MAX_BULK_LEN (512LL * 1024 * 1024)
/* Most arguments in one command. Redis allows more; a bigger count is garbage. */
#define MAX_ARGS (1024 * 1024)
/* Bytes asked of one read(). */
#define READ_SIZE (64 * 1024)
/* Once this many reply bytes wait to be written, a connection's commands are not executed
 * (and its socket not read) until the client has taken them: a few bytes of "GET big"
 * commands can ask for gigabytes of replies, and a client that does not read must not make
 * the server buffer them. */
#define OUT_HIGH_WATER (1024 * 1024)
/* How often keys with an expiry that nobody reads are removed. */
#define SWEEP_EVERY_MS 1000

/* ------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------ */

static int64_t monotonic_ms(void) {
    /* A monotonic clock: a TTL must not jump when someone changes the wall clock. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t unix_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned char ascii_upper(unsigned char c) { return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c; }

/* Does the counted string (p, n) equal the upper-case word `word`, ignoring ASCII case? */
static int word_is(const unsigned char *p, size_t n, const char *word) {
    size_t wl = strlen(word);
    if (n != wl) return 0;
    for (size_t i = 0; i < n; i++)
        if (ascii_upper(p[i]) != (unsigned char)word[i]) return 0;
    return 1;
}

/*
 * The signed 64-bit integer that (p, n) spells, exactly the way Redis reads one (string2ll):
 * base 10, an optional '-', no '+', no spaces, no leading zeros, no "-0". Returns 1 and sets
 * *out, or 0 if it is not such a number or does not fit in 64 bits.
 */
static int parse_int64(const unsigned char *p, size_t n, int64_t *out) {
    if (n == 0 || n > 20) return 0;
    if (n == 1 && p[0] == '0') {
        *out = 0;
        return 1;
    }
    size_t i = 0;
    int negative = 0;
    if (p[0] == '-') {
        negative = 1;
        i = 1;
        if (n == 1) return 0;
    }
    if (p[i] < '1' || p[i] > '9') return 0; /* leading zero, "-0", or not a digit */
    uint64_t v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0; /* would not fit even unsigned */
        v = v * 10 + d;
    }
    if (negative) {
        if (v > (uint64_t)INT64_MAX + 1) return 0;
        *out = (v == (uint64_t)INT64_MAX + 1) ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) return 0;
        *out = (int64_t)v;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------
 * Growable byte buffers
 * ------------------------------------------------------------------------------------------ */

typedef struct {
    unsigned char *data;
    size_t len; /* bytes in use */
    size_t cap;
} Buf;

/* Make room for `extra` more bytes. Returns 0 when memory runs out (the caller drops that one
 * connection; the server carries on). */
static int buf_reserve(Buf *b, size_t extra) {
    if (b->cap - b->len >= extra) return 1;
    size_t want = b->cap ? b->cap : 4096;
    while (want - b->len < extra) {
        if (want > SIZE_MAX / 2) return 0;
        want *= 2;
    }
    unsigned char *p = realloc(b->data, want);
    if (!p) return 0;
    b->data = p;
    b->cap = want;
    return 1;
}

static void buf_free(Buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------------------------------
 * The key space: a hash table of counted byte strings, with optional expiry times
 * ------------------------------------------------------------------------------------------ */

typedef struct Entry {
    struct Entry *next; /* the next entry in the same bucket */
    uint64_t hash;
    int64_t expires_at; /* monotonic_ms() deadline; 0 = never */
    unsigned char *value;
    size_t value_len;
    size_t key_len;
    unsigned char key[]; /* the key's bytes, stored inline */
} Entry;

static struct {
    Entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    size_t with_expiry; /* how many entries have an expiry (the sweep is skipped at 0) */
    uint64_t seed;
} store;

static uint64_t hash_bytes(const unsigned char *p, size_t n) {
    /* FNV-1a, seeded, with a final mix so that the low bits (the bucket index) are good. */
    uint64_t h = 1469598103934665603ULL ^ store.seed;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static int store_init(void) {
    store.nbuckets = 1024;
    store.buckets = calloc(store.nbuckets, sizeof(Entry *));
    store.seed = ((uint64_t)unix_ms() * UINT64_C(6364136223846793005)) ^ (uint64_t)getpid();
    return store.buckets != NULL;
}

static void entry_free(Entry *e) {
    if (e->expires_at) store.with_expiry--;
    free(e->value);
    free(e);
    store.count--;
}

/* Unlink and free the entry that *link points to. */
static void store_remove_at(Entry **link) {
    Entry *e = *link;
    *link = e->next;
    entry_free(e);
}

/* The link (pointer to pointer) to the entry for key, or to the NULL at the end of its bucket.
 * A key whose time has passed is deleted here, the moment anyone looks at it ("lazy" expiry). */
static Entry **store_find(const unsigned char *key, size_t len, uint64_t hash) {
    Entry **link = &store.buckets[hash & (store.nbuckets - 1)];
    while (*link) {
        Entry *e = *link;
        if (e->hash == hash && e->key_len == len && memcmp(e->key, key, len) == 0) {
            if (e->expires_at && e->expires_at <= monotonic_ms()) {
                store_remove_at(link);
                return link; /* now points to what followed it; the key is missing */
            }
            return link;
        }
        link = &e->next;
    }
    return link;
}

static Entry *store_get(const unsigned char *key, size_t len) {
    Entry **link = store_find(key, len, hash_bytes(key, len));
    /* store_find may stop at another key after deleting an expired one: check it is ours. */
    Entry *e = *link;
    if (e && e->key_len == len && memcmp(e->key, key, len) == 0) return e;
    return NULL;
}

static void store_grow(void) {
    size_t n = store.nbuckets * 2;
    Entry **nb = calloc(n, sizeof(Entry *));
    if (!nb) return; /* longer chains, still correct */
    for (size_t i = 0; i < store.nbuckets; i++) {
        Entry *e = store.buckets[i];
        while (e) {
            Entry *next = e->next;
            e->next = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(store.buckets);
    store.buckets = nb;
    store.nbuckets = n;
}

static unsigned char *copy_bytes(const unsigned char *p, size_t n) {
    unsigned char *c = malloc(n ? n : 1); /* malloc(0) may return NULL */
    if (c && n) memcpy(c, p, n);
    return c;
}

/* Store value under key with the given expiry (0 = none, which clears any old expiry).
 * Returns 0 when out of memory (nothing changed). */
static int store_set(const unsigned char *key, size_t klen, const unsigned char *val, size_t vlen, int64_t expires_at) {
    unsigned char *v = copy_bytes(val, vlen);
    if (!v) return 0;
    Entry *e = store_get(key, klen);
    if (!e) {
        e = malloc(sizeof(Entry) + klen);
        if (!e) {
            free(v);
            return 0;
        }
        e->hash = hash_bytes(key, klen);
        e->key_len = klen;
        memcpy(e->key, key, klen);
        e->expires_at = 0;
        e->value = NULL;
        Entry **head = &store.buckets[e->hash & (store.nbuckets - 1)];
        e->next = *head;
        *head = e;
        store.count++;
    }
    free(e->value);
    e->value = v;
    e->value_len = vlen;
    if (e->expires_at && !expires_at) store.with_expiry--;
    if (!e->expires_at && expires_at) store.with_expiry++;
    e->expires_at = expires_at;
    if (store.count > store.nbuckets) store_grow();
    return 1;
}

static int store_delete(const unsigned char *key, size_t len) {
    uint64_t h = hash_bytes(key, len);
    Entry **link = store_find(key, len, h);
    Entry *e = *link;
    if (e && e->key_len == len && memcmp(e->key, key, len) == 0) {
        store_remove_at(link);
        return 1;
    }
    return 0;
}

/* Remove expired keys that nobody reads any more, so they do not use memory forever. */
static void store_sweep(void) {
    if (store.with_expiry == 0) return;
    int64_t now = monotonic_ms();
    for (size_t i = 0; i < store.nbuckets; i++) {
        Entry **link = &store.buckets[i];
        while (*link) {
            if ((*link)->expires_at && (*link)->expires_at <= now)
                store_remove_at(link);
            else
                link = &(*link)->next;
        }
    }
}

/* ------------------------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------------------------ */

typedef struct {
    size_t off; /* from the start of the command (cmd_start) */
    size_t len;
} ArgRef;

typedef struct {
    const unsigned char *p;
    size_t len;
} Arg;

typedef struct {
    int fd;
    Buf in;  /* bytes received; [0, in.len) */
    Buf out; /* replies not yet written; [out_pos, out.len) */
    size_t out_pos;

    /* The incremental parser's state. Bytes before cmd_start belong to executed commands and
     * are dropped before the next read; pos is how far the current command has been parsed. */
    size_t cmd_start;
    size_t pos;
    long long missing;  /* arguments still to read; 0 = expecting a "*" header */
    long long bulk_len; /* length of the bulk string being read; -1 = its "$" header not read */
    ArgRef *args;
    size_t argc, argcap;

    int peer_closed; /* read() returned 0: no more commands will come */
    int closing;     /* protocol error or out of memory: write what is pending, then close */
} Conn;

static Conn **conns;
static size_t nconns, capconns;

static void conn_free(Conn *c) {
    close(c->fd);
    buf_free(&c->in);
    buf_free(&c->out);
    free(c->args);
    free(c);
}

static size_t out_pending(const Conn *c) { return c->out.len - c->out_pos; }

/* Append bytes to the connection's replies. Out of memory: the connection is dropped. */
static void out_add(Conn *c, const void *p, size_t n) {
    if (c->closing == 2) return;
    if (!buf_reserve(&c->out, n)) {
        c->closing = 2; /* drop at once, without the replies */
        return;
    }
    memcpy(c->out.data + c->out.len, p, n);
    c->out.len += n;
}

static void out_str(Conn *c, const char *s) { out_add(c, s, strlen(s)); }

static void out_fmt(Conn *c, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) out_add(c, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ------------------------------------------------------------------------------------------
 * RESP replies
 * ------------------------------------------------------------------------------------------ */

static void reply_bulk(Conn *c, const unsigned char *p, size_t n) {
    out_fmt(c, "$%zu\r\n", n);
    out_add(c, p, n);
    out_add(c, "\r\n", 2);
}

static void reply_int(Conn *c, long long v) { out_fmt(c, ":%lld\r\n", v); }

static void reply_nil(Conn *c) { out_str(c, "$-1\r\n"); } /* not the same as "$0\r\n\r\n" */

/* "-ERR <text>\r\n", where text may hold client bytes (a command's name): an error reply is
 * one line, so a CR or LF inside it would end it early and the client would read the rest as
 * the next reply. Scrub them, and keep it short. */
static void reply_error_with(Conn *c, const char *before, const unsigned char *p, size_t n, const char *after) {
    out_str(c, "-ERR ");
    out_str(c, before);
    if (n > 128) n = 128;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = p[i];
        out_add(c, (ch == '\r' || ch == '\n') ? (const unsigned char *)" " : &ch, 1);
    }
    out_str(c, after);
    out_add(c, "\r\n", 2);
}

static void reply_wrong_arity(Conn *c, const Arg *name) {
    unsigned char lower[32];
    size_t n = name->len < sizeof lower ? name->len : sizeof lower;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = name->p[i];
        lower[i] = (ch >= 'A' && ch <= 'Z') ? (unsigned char)(ch - 'A' + 'a') : ch;
    }
    reply_error_with(c, "wrong number of arguments for '", lower, n, "' command");
}

#define SYNTAX_ERROR "-ERR syntax error\r\n"
#define NOT_AN_INTEGER "-ERR value is not an integer or out of range\r\n"
#define OUT_OF_MEMORY "-ERR out of memory\r\n"

/* ------------------------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------------------------ */

static void cmd_ping(Conn *c, Arg *a, size_t argc) {
    if (argc > 2)
        reply_wrong_arity(c, &a[0]);
    else if (argc == 1)
        out_str(c, "+PONG\r\n");
    else
        reply_bulk(c, a[1].p, a[1].len);
}

static void cmd_echo(Conn *c, Arg *a, size_t argc) {
    (void)argc;
    reply_bulk(c, a[1].p, a[1].len);
}

static void cmd_get(Conn *c, Arg *a, size_t argc) {
    (void)argc;
    Entry *e = store_get(a[1].p, a[1].len);
    if (e)
        reply_bulk(c, e->value, e->value_len);
    else
        reply_nil(c);
}

/* SET key value [EX seconds | PX milliseconds] [NX | XX] */
static void cmd_set(Conn *c, Arg *a, size_t argc) {
    int nx = 0, xx = 0;
    int unit = 0; /* 'E' or 'P' once EX or PX was seen */
    const Arg *amount = NULL;

    /* Options may come in any order and any case. Like Redis: NX with XX, or EX with PX, is a
     * syntax error; repeating the same one is allowed. */
    for (size_t i = 3; i < argc; i++) {
        const Arg *o = &a[i];
        if (word_is(o->p, o->len, "NX") && !xx) {
            nx = 1;
        } else if (word_is(o->p, o->len, "XX") && !nx) {
            xx = 1;
        } else if ((word_is(o->p, o->len, "EX") || word_is(o->p, o->len, "PX")) && i + 1 < argc) {
            int u = ascii_upper(o->p[0]);
            if (unit && unit != u) {
                out_str(c, SYNTAX_ERROR);
                return;
            }
            unit = u;
            amount = &a[++i];
        } else {
            out_str(c, SYNTAX_ERROR);
            return;
        }
    }

    int64_t expires_at = 0;
    if (amount) {
        int64_t n;
        if (!parse_int64(amount->p, amount->len, &n)) {
            out_str(c, NOT_AN_INTEGER);
            return;
        }
        /* Must be positive, and (as in Redis) the absolute expiry time in Unix milliseconds must
         * still fit in 64 bits. */
        if (n <= 0 || (unit == 'E' && n > INT64_MAX / 1000)) {
            out_str(c, "-ERR invalid expire time in 'set' command\r\n");
            return;
        }
        int64_t ms = unit == 'E' ? n * 1000 : n;
        if (ms > INT64_MAX - unix_ms()) {
            out_str(c, "-ERR invalid expire time in 'set' command\r\n");
            return;
        }
        int64_t now = monotonic_ms();
        /* The monotonic clock starts near 0, so this cannot overflow when the check above
         * passed for the (larger) Unix clock; clamp anyway. */
        expires_at = ms > INT64_MAX - now ? INT64_MAX : now + ms;
    }

    /* The condition is checked after the options are validated: a bad option is an error even
     * when NX/XX would not have set anything. */
    int exists = store_get(a[1].p, a[1].len) != NULL;
    if ((nx && exists) || (xx && !exists)) {
        reply_nil(c);
        return;
    }
    if (!store_set(a[1].p, a[1].len, a[2].p, a[2].len, expires_at)) {
        out_str(c, OUT_OF_MEMORY);
        return;
    }
    out_str(c, "+OK\r\n");
}

static void cmd_del(Conn *c, Arg *a, size_t argc) {
    /* "DEL k k" removes k once: the second time it is already gone. */
    long long n = 0;
    for (size_t i = 1; i < argc; i++) n += store_delete(a[i].p, a[i].len);
    reply_int(c, n);
}

static void cmd_exists(Conn *c, Arg *a, size_t argc) {
    /* Counts names, not distinct keys: "EXISTS k k" is 2 when k exists. */
    long long n = 0;
    for (size_t i = 1; i < argc; i++) n += store_get(a[i].p, a[i].len) != NULL;
    reply_int(c, n);
}

static void cmd_incr(Conn *c, Arg *a, size_t argc) {
    (void)argc;
    Entry *e = store_get(a[1].p, a[1].len);
    int64_t n = 0;
    if (e && !parse_int64(e->value, e->value_len, &n)) {
        out_str(c, NOT_AN_INTEGER); /* and the value stays as it was */
        return;
    }
    if (n == INT64_MAX) {
        out_str(c, "-ERR increment or decrement would overflow\r\n");
        return;
    }
    n++;
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)n);
    unsigned char *v = copy_bytes((const unsigned char *)digits, (size_t)len);
    if (!v) {
        out_str(c, OUT_OF_MEMORY);
        return;
    }
    if (e) {
        /* Change the value, keep any expiry. */
        free(e->value);
        e->value = v;
        e->value_len = (size_t)len;
    } else {
        free(v);
        if (!store_set(a[1].p, a[1].len, (const unsigned char *)digits, (size_t)len, 0)) {
            out_str(c, OUT_OF_MEMORY);
            return;
        }
    }
    reply_int(c, (long long)n);
}

/* Arity counts the command name, as in Redis's command table: N means exactly N, -N at least N. */
static const struct {
    const char *name;
    void (*fn)(Conn *, Arg *, size_t);
    int arity;
} COMMANDS[] = {
    {"PING", cmd_ping, -1}, {"ECHO", cmd_echo, 2},     {"GET", cmd_get, 2},   {"SET", cmd_set, -3},
    {"DEL", cmd_del, -2},   {"EXISTS", cmd_exists, -2}, {"INCR", cmd_incr, 2},
};

/* Run one command and append its reply. Never fails for bad input: it replies with an error. */
static void execute(Conn *c, Arg *a, size_t argc) {
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
        if (!word_is(a[0].p, a[0].len, COMMANDS[i].name)) continue;
        int ar = COMMANDS[i].arity;
        if ((ar >= 0 && argc != (size_t)ar) || argc < (size_t)(ar < 0 ? -ar : ar)) {
            reply_wrong_arity(c, &a[0]);
            return;
        }
        COMMANDS[i].fn(c, a, argc);
        return;
    }
    reply_error_with(c, "unknown command '", a[0].p, a[0].len, "'");
}

/* ------------------------------------------------------------------------------------------
 * The incremental RESP parser
 * ------------------------------------------------------------------------------------------ */

enum { PARSE_NEED_MORE = 0, PARSE_COMMAND = 1, PARSE_ERROR = -1 };

/* Report a protocol error on c: after garbage we cannot tell where the next command starts, so
 * the connection is closed once the replies before it (and this one) are written. */
static int protocol_error(Conn *c, const char *what) {
    out_str(c, "-ERR Protocol error: ");
    out_str(c, what);
    out_add(c, "\r\n", 2);
    if (!c->closing) c->closing = 1;
    return PARSE_ERROR;
}

/* One header line at c->pos ("*3" or "$5", without its CRLF): 1 and (line, len), 0 when the
 * line is not complete yet, -1 after a protocol error. */
static int read_line(Conn *c, const unsigned char **line, size_t *len) {
    const unsigned char *start = c->in.data + c->pos;
    size_t avail = c->in.len - c->pos;
    const unsigned char *cr = memchr(start, '\r', avail);
    if (!cr) {
        if (avail > MAX_HEADER_LINE) return protocol_error(c, "header line too long"), -1;
        return 0;
    }
    if ((size_t)(cr - start) + 1 >= avail) return 0; /* the LF has not arrived yet */
    if (cr[1] != '\n') return protocol_error(c, "expected LF after CR"), -1;
    *line = start;
    *len = (size_t)(cr - start);
    c->pos += *len + 2;
    return 1;
}

/*
 * Parse the next command in c->in. TCP delivers a stream, not messages: the buffer may hold
 * half a command, exactly one, or a thousand and a half. Returns PARSE_COMMAND when one is
 * complete (its arguments are in c->args, offsets from c->cmd_start), PARSE_NEED_MORE when the
 * rest has not arrived (the state is kept: parsing resumes where it stopped), or PARSE_ERROR.
 *
 * A request looks like  *2\r\n$3\r\nGET\r\n$1\r\nk\r\n : an array header "*<count>", then
 * <count> bulk strings "$<len>\r\n" + exactly len bytes (which may be anything, \r\n too) + "\r\n".
 */
static int parse_command(Conn *c) {
    const unsigned char *line;
    size_t len;
    int r;
    while (c->missing == 0) {
        c->cmd_start = c->pos;
        c->argc = 0;
        if ((r = read_line(c, &line, &len)) <= 0) return r < 0 ? PARSE_ERROR : PARSE_NEED_MORE;
        if (line[0] != '*') return protocol_error(c, "expected '*' (an array of bulk strings)");
        int64_t count;
        if (!parse_int64(line + 1, len - 1, &count) || count > MAX_ARGS) return protocol_error(c, "invalid multibulk length");
        /* "*0" and "*-1" are empty requests; Redis ignores them. */
        if (count > 0) c->missing = count;
    }
    while (c->missing > 0) {
        if (c->bulk_len < 0) {
            if ((r = read_line(c, &line, &len)) <= 0) return r < 0 ? PARSE_ERROR : PARSE_NEED_MORE;
            if (line[0] != '$') return protocol_error(c, "expected '$' (a bulk string)");
            int64_t n;
            if (!parse_int64(line + 1, len - 1, &n) || n < 0 || n > MAX_BULK_LEN) return protocol_error(c, "invalid bulk length");
            c->bulk_len = n;
        }
        /* The data is counted, not delimited: wait until all of it plus the CRLF is here. */
        size_t need = (size_t)c->bulk_len + 2;
        if (c->in.len - c->pos < need) {
            /* Make room now for the whole bulk string (up to a sane amount), rather than
             * doubling the buffer many times while a large value arrives. */
            size_t want = need - (c->in.len - c->pos);
            if (want <= 1024u * 1024 && !buf_reserve(&c->in, want)) return protocol_error(c, "out of memory");
            return PARSE_NEED_MORE;
        }
        if (c->in.data[c->pos + need - 2] != '\r' || c->in.data[c->pos + need - 1] != '\n') return protocol_error(c, "bulk string not followed by CRLF");
        if (c->argc == c->argcap) {
            size_t ncap = c->argcap ? c->argcap * 2 : 8;
            ArgRef *na = realloc(c->args, ncap * sizeof *na);
            if (!na) return protocol_error(c, "out of memory");
            c->args = na;
            c->argcap = ncap;
        }
        c->args[c->argc].off = c->pos - c->cmd_start;
        c->args[c->argc].len = (size_t)c->bulk_len;
        c->argc++;
        c->pos += need;
        c->bulk_len = -1;
        c->missing--;
    }
    return PARSE_COMMAND;
}

/* Execute every complete command in the input, while the replies waiting to be written stay
 * under the high-water mark. Returns 1 if it stopped at the mark with input left to parse. */
static int run_commands(Conn *c) {
    Arg small[16];
    while (!c->closing) {
        if (out_pending(c) >= OUT_HIGH_WATER) return c->pos < c->in.len || c->missing > 0;
        if (parse_command(c) != PARSE_COMMAND) break;
        Arg *a = c->argc <= 16 ? small : malloc(c->argc * sizeof *a);
        if (!a) {
            protocol_error(c, "out of memory");
            break;
        }
        const unsigned char *base = c->in.data + c->cmd_start;
        for (size_t i = 0; i < c->argc; i++) {
            a[i].p = base + c->args[i].off;
            a[i].len = c->args[i].len;
        }
        execute(c, a, c->argc);
        if (a != small) free(a);
        c->cmd_start = c->pos;
        c->argc = 0;
    }
    return 0;
}

/* Drop the bytes of executed commands from the front of the input buffer. Only the command
 * being read remains, so this moves few bytes, once per read (not once per command). */
static void compact_input(Conn *c) {
    size_t drop = c->cmd_start;
    if (drop == 0) return;
    memmove(c->in.data, c->in.data + drop, c->in.len - drop);
    c->in.len -= drop;
    c->pos -= drop;
    c->cmd_start = 0;
}

/* ------------------------------------------------------------------------------------------
 * Socket I/O
 * ------------------------------------------------------------------------------------------ */

/* Write what the kernel takes now. Returns 0 if the connection is gone (EPIPE, ECONNRESET). */
static int flush_out(Conn *c) {
    while (out_pending(c) > 0) {
        /* send() may take fewer bytes than it was given: loop, and keep the rest for when
         * poll() says the socket is writable again. */
        ssize_t n = send(c->fd, c->out.data + c->out_pos, out_pending(c), 0);
        if (n > 0) {
            c->out_pos += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        return 0; /* EPIPE, ECONNRESET...: the client vanished (SIGPIPE is ignored) */
    }
    if (out_pending(c) == 0) {
        c->out.len = c->out_pos = 0;
    } else if (c->out_pos > c->out.cap / 2) {
        memmove(c->out.data, c->out.data + c->out_pos, out_pending(c));
        c->out.len -= c->out_pos;
        c->out_pos = 0;
    }
    return 1;
}

/* Read once. Returns 0 if the connection must be dropped now. */
static int read_in(Conn *c) {
    compact_input(c);
    if (!buf_reserve(&c->in, READ_SIZE)) return 0;
    ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
    if (n > 0) {
        c->in.len += (size_t)n;
        return 1;
    }
    if (n == 0) {
        /* The client closed (or half-closed, shutdown(SHUT_WR)) its side: no more commands.
         * That is not "drop the replies": everything that arrived is answered, then we close. */
        c->peer_closed = 1;
        return 1;
    }
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return 1;
    return 0; /* ECONNRESET (an RST) and friends: forget this client */
}

/* Execute what can be, write what the kernel takes, and again while the replies drain and
 * complete commands wait behind the high-water mark. Returns 0 when the connection is finished:
 * the client vanished, or all replies are written after its end of input or a protocol error. */
static int service(Conn *c) {
    for (;;) {
        int more = run_commands(c);
        if (c->closing == 2) return 0; /* out of memory for this connection: drop it */
        if (!flush_out(c)) return 0;
        if (out_pending(c) > 0) return 1; /* poll() says when the socket takes more */
        if (!more) break;
    }
    return !(c->peer_closed || c->closing);
}

static int set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL, 0);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

static void add_conn(int fd) {
    if (!set_nonblocking(fd)) {
        close(fd);
        return;
    }
    if (nconns == capconns) {
        size_t ncap = capconns ? capconns * 2 : 64;
        Conn **nc = realloc(conns, ncap * sizeof *nc);
        if (!nc) {
            close(fd);
            return;
        }
        conns = nc;
        capconns = ncap;
    }
    Conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->fd = fd;
    c->bulk_len = -1;
    conns[nconns++] = c;
}

/* Accept every connection waiting. Returns 0 when the process is out of file descriptors: the
 * caller then stops watching the listener for a moment (poll() would wake at once, forever). */
static int accept_all(int lfd) {
    static int warned; /* say it once per shortage, not every 100 ms */
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd >= 0) {
            warned = 0;
            add_conn(fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            if (!warned) fprintf(stderr, "kv-server: accept: %s (new clients wait until others leave)\n", strerror(errno));
            warned = 1;
            return 0;
        }
        return 1; /* EAGAIN: no more waiting */
    }
}

static void usage(const char *why) {
    fprintf(stderr, "kv-server: %s\nusage: ./server [--port PORT]   (PORT 1-65535, default 6380)\n", why);
    exit(2);
}

static int parse_port(int argc, char **argv) {
    const char *text = "6380";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0) {
            if (i + 1 >= argc) usage("--port needs a value");
            text = argv[++i];
        } else if (strncmp(argv[i], "--port=", 7) == 0) {
            text = argv[i] + 7;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage("a key-value server speaking RESP2");
        } else {
            fprintf(stderr, "kv-server: unknown argument '%s'\n", argv[i]);
            usage("see above");
        }
    }
    int64_t port;
    if (!parse_int64((const unsigned char *)text, strlen(text), &port) || port < 1 || port > 65535) usage("--port must be a number from 1 to 65535");
    return (int)port;
}

int main(int argc, char **argv) {
    int port = parse_port(argc, argv);

    /* Writing to a connection the client has reset raises SIGPIPE, whose default action kills
     * the whole process. Ignore it: send() then fails with EPIPE, for that connection only. */
    signal(SIGPIPE, SIG_IGN);

    if (!store_init()) {
        fprintf(stderr, "kv-server: out of memory\n");
        return 1;
    }

    /* socket(): a TCP endpoint. bind(): to 127.0.0.1:port. listen(): start queuing clients. */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) {
        perror("kv-server: socket");
        return 1;
    }
    int one = 1;
    /* Allow binding the port again at once after a restart (no wait for TIME_WAIT). */
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    /* inet_pton(): an address from its text form, in network byte order. (Not INADDR_LOOPBACK:
     * macOS hides it from strictly POSIX programs like this one.) */
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 1024) < 0 || !set_nonblocking(lfd)) {
        fprintf(stderr, "kv-server: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("kv-server listening on 127.0.0.1:%d\n", port);
    fflush(stdout);

    struct pollfd *pfds = NULL;
    size_t pcap = 0;
    int64_t next_sweep = monotonic_ms() + SWEEP_EVERY_MS;
    int64_t listen_paused_until = 0;

    for (;;) {
        if (pcap < nconns + 1) {
            size_t ncap = (nconns + 1) * 2;
            struct pollfd *np = realloc(pfds, ncap * sizeof *np);
            if (!np) {
                fprintf(stderr, "kv-server: out of memory\n");
                return 1;
            }
            pfds = np;
            pcap = ncap;
        }
        int64_t now = monotonic_ms();
        pfds[0].fd = now >= listen_paused_until ? lfd : -1; /* a negative fd is skipped */
        pfds[0].events = POLLIN;
        pfds[0].revents = 0;
        for (size_t i = 0; i < nconns; i++) {
            Conn *c = conns[i];
            short ev = 0;
            /* Read only while there is room for the replies: a client that does not read its
             * replies is not served further until it does (its socket buffer fills instead). */
            if (!c->peer_closed && !c->closing && out_pending(c) < OUT_HIGH_WATER) ev |= POLLIN;
            if (out_pending(c) > 0) ev |= POLLOUT;
            pfds[i + 1].fd = c->fd;
            pfds[i + 1].events = ev;
            pfds[i + 1].revents = 0;
        }
        int timeout = (int)(next_sweep - now);
        if (timeout < 0) timeout = 0;
        if (listen_paused_until > now && listen_paused_until - now < timeout) timeout = (int)(listen_paused_until - now);
        int ready = poll(pfds, (nfds_t)(nconns + 1), timeout);
        if (ready < 0) {
            if (errno == EINTR) continue;
            perror("kv-server: poll");
            return 1;
        }

        /* Serve the connections that poll() reported on. New ones are appended after these, so
         * the indexes of pfds still match conns[0..n). */
        size_t n = nconns;
        for (size_t i = 0; i < n; i++) {
            Conn *c = conns[i];
            short re = pfds[i + 1].revents;
            if (!re) continue;
            int alive = 1;
            if (re & (POLLIN | POLLHUP | POLLERR)) alive = read_in(c);
            if (alive) alive = service(c);
            if (!alive) {
                conn_free(c);
                conns[i] = NULL;
            }
        }
        /* Forget closed connections, keeping the order of the rest. */
        size_t w = 0;
        for (size_t i = 0; i < nconns; i++)
            if (conns[i]) conns[w++] = conns[i];
        nconns = w;

        if (pfds[0].revents & POLLIN) {
            if (!accept_all(lfd)) listen_paused_until = monotonic_ms() + 100;
        }

        now = monotonic_ms();
        if (now >= next_sweep) {
            store_sweep();
            next_sweep = now + SWEEP_EVERY_MS;
        }
    }
}
