/*
 * dns-client starter: ask one DNS question over UDP and print the answer.
 *
 *   Build:  cc -std=c11 -O2 -Wall -Wextra -o client client.c
 *   Run:    ./client --server 127.0.0.1:5353 --timeout-ms 1000 --retries 2 --type A example.com
 *   Grade:  npx sockgrade grade .
 *
 * What is here already: the command line (parsed and checked), the UDP socket, one attempt
 * that waits for one datagram, the exit codes, and the output format (print_record). Run as
 * it is, it sends a query with no question in it, ignores whatever comes back, and exits
 * with code 2.
 *
 * What is missing (the TODOs), roughly in the order of the grader's stages:
 *   1. encode_query(): the header flags, the question.        (stage 1)
 *   2. read_name(), parse_response(), rdata_text():
 *      decoding, with name compression.                       (stages 1-3)
 *   3. ask_udp(): retransmission, with a deadline per attempt (stage 4)
 *   4. check_response(): which datagrams to believe.          (stage 5)
 *   5. parse_name(): refuse names DNS cannot carry.           (stage 6)
 *   6. ask_tcp(): the same question over TCP when TC=1.       (stage 7)
 * Read the handout first. A datagram is untrusted bytes: check every length against the
 * datagram's size before you read, or a malicious server makes you read past the end.
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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Exit codes of the contract. */
enum { EXIT_OK_ = 0, EXIT_USAGE = 1, EXIT_NO_ANSWER = 2, EXIT_NXDOMAIN = 3, EXIT_OTHER_RCODE = 4 };

#define CLASS_IN 1
#define MAX_MSG 65535 /* the largest DNS message (UDP datagram or TCP message) */

static const struct {
    const char *name;
    uint16_t code;
} TYPES[] = {{"A", 1}, {"NS", 2}, {"CNAME", 5}, {"MX", 15}, {"TXT", 16}, {"AAAA", 28}};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])

static const char USAGE[] = "usage: client --server HOST:PORT --timeout-ms T --retries R [--type A|AAAA|CNAME|NS|MX|TXT] NAME";

/* Diagnostics go to stderr: stdout is only for the answer records. */
static void note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("dns-client: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A usage error: say why, print the usage, exit 1. Nothing has been sent. */
static void usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("dns-client: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s\n", USAGE);
    va_end(ap);
    exit(EXIT_USAGE);
}

/*
 * A domain name, kept in wire format: length-prefixed labels ending with a zero byte.
 * "www.example.com" is 03 'w' 'w' 'w' 07 'e' ... 03 'c' 'o' 'm' 00, len = 17. The root is 00.
 * The same form serves the name typed on the command line (encode_query copies it into the
 * query) and the names decoded from a response (read_name).
 */
struct dname {
    unsigned char wire[256];
    size_t len;
};

/* ------------------------------------------------------------------------------------------
 * Command line (done)
 * ------------------------------------------------------------------------------------------ */

struct args {
    struct sockaddr_storage server; /* what sendto() wants: a sockaddr_in or sockaddr_in6 */
    socklen_t server_len;
    int family; /* AF_INET or AF_INET6 */
    long timeout_ms;
    long retries;
    uint16_t qtype;
    struct dname name;
};

/* "www.Example.com." -> the wire form of www.Example.com. The root is ".". */
static void parse_name(const char *text, struct dname *out) {
    if (text[0] == '\0') usage_error("the name is empty (the root is written '.')");
    out->len = 0;
    if (strcmp(text, ".") == 0) {
        out->wire[out->len++] = 0;
        return;
    }
    size_t n = strlen(text);
    if (text[n - 1] == '.') n--; /* a trailing dot means the same name */
    size_t start = 0;
    while (start <= n) {
        size_t end = start;
        while (end < n && text[end] != '.') end++;
        size_t label = end - start;
        if (label == 0) usage_error("empty label in '%s'", text);
        /* TODO (stage 6): a label is at most 63 bytes, and the whole name at most 255 bytes
         *   in wire format (a length byte per label, the label bytes, and the final zero
         *   byte). Refuse longer ones here with usage_error(): exit code 1, nothing sent.
         *   (Until then, the checks below only keep this buffer from overflowing.) */
        if (out->len + 1 + label + 1 > sizeof out->wire) usage_error("the name '%s' is too long for this starter", text);
        out->wire[out->len++] = (unsigned char)(label & 0xff);
        memcpy(out->wire + out->len, text + start, label);
        out->len += label;
        start = end + 1;
    }
    out->wire[out->len++] = 0;
}

/* IP:PORT, [IPv6]:PORT, or an IP alone (port 53). */
static void parse_server(const char *text, struct args *a) {
    const char *given = text;
    char host[64];
    const char *port_text = "53";
    const char *colon = strrchr(text, ':');
    size_t hl;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || (close[1] != '\0' && close[1] != ':')) usage_error("--server '%s': expected IP:PORT, e.g. 127.0.0.1:5353", text);
        hl = (size_t)(close - text - 1);
        text++;
        if (close[1] == ':') port_text = close + 2;
    } else if (colon && strchr(text, ':') == colon) { /* one colon: IPv4:PORT */
        hl = (size_t)(colon - text);
        port_text = colon + 1;
    } else { /* an IP alone (an IPv6 address has several colons) */
        hl = strlen(text);
    }
    if (hl == 0 || hl >= sizeof host) usage_error("--server '%s': expected IP:PORT, e.g. 127.0.0.1:5353", given);
    memcpy(host, text, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(port_text, &end, 10);
    if (*port_text < '0' || *port_text > '9' || *end || port < 1 || port > 65535) usage_error("--server: the port must be 1 to 65535");

    memset(&a->server, 0, sizeof a->server);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&a->server;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->server;
    /* inet_pton(): the text form of an address to its binary form, in network byte order. */
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port); /* htons(): host to network byte order */
        a->family = AF_INET;
        a->server_len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        a->family = AF_INET6;
        a->server_len = sizeof *v6;
    } else {
        usage_error("--server: '%s' is not an IP address", host);
    }
}

static long parse_number(const char *option, const char *text, long minimum) {
    size_t n = strlen(text);
    if (n == 0 || n > 9 || strspn(text, "0123456789") != n || atol(text) < minimum) usage_error("%s '%s': expected a whole number >= %ld", option, text, minimum);
    return atol(text);
}

/* Options in any order (--type MX or --type=MX); NAME is the one positional argument. */
static void parse_args(int argc, char **argv, struct args *a) {
    const char *server = NULL, *timeout = "1000", *retries = "2", *type = "A", *name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) == 0) {
            const char *eq = strchr(arg, '=');
            size_t kl = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            const char *value = eq ? eq + 1 : NULL;
            const char **slot = NULL;
            if (kl == 6 && strncmp(arg + 2, "server", 6) == 0) slot = &server;
            else if (kl == 10 && strncmp(arg + 2, "timeout-ms", 10) == 0) slot = &timeout;
            else if (kl == 7 && strncmp(arg + 2, "retries", 7) == 0) slot = &retries;
            else if (kl == 4 && strncmp(arg + 2, "type", 4) == 0) slot = &type;
            else usage_error("unknown option %s", arg);
            if (!value) {
                if (i + 1 == argc) usage_error("%s needs a value", arg);
                value = argv[++i];
            }
            *slot = value;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            usage_error("unknown option %s", arg);
        } else {
            if (name) usage_error("expected exactly one NAME");
            name = arg;
        }
    }
    if (!name) usage_error("no NAME to look up");
    if (!server) usage_error("--server HOST:PORT is required");
    a->qtype = 0;
    for (size_t i = 0; i < NTYPES; i++) {
        size_t j = 0;
        while (type[j] && TYPES[i].name[j] && (type[j] & ~0x20) == TYPES[i].name[j]) j++; /* any case */
        if (!type[j] && !TYPES[i].name[j]) a->qtype = TYPES[i].code;
    }
    if (!a->qtype) usage_error("--type '%s': expected one of A, AAAA, CNAME, NS, MX, TXT", type);
    parse_name(name, &a->name);
    parse_server(server, a);
    a->timeout_ms = parse_number("--timeout-ms", timeout, 1);
    a->retries = parse_number("--retries", retries, 0);
}

/* ------------------------------------------------------------------------------------------
 * Encoding the query
 * ------------------------------------------------------------------------------------------ */

static void put16(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)(v >> 8); /* big-endian: the most significant byte first */
    p[1] = (unsigned char)(v & 0xff);
}

static unsigned get16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

/*
 * Write the whole query message into out (room for MAX_MSG bytes) and return its length: a
 * 12-byte header, then one question.
 *
 * The header is six 16-bit big-endian numbers: ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT.
 */
static size_t encode_query(unsigned char *out, uint16_t qid, const struct dname *name, uint16_t qtype) {
    unsigned flags = 0;
    unsigned qdcount = 0;
    /* TODO (stage 1): flags: QR=0 (a query), OPCODE=0 (a standard query), RD=1 (recursion
     *   desired; RD is bit 8 of the flags, 0x0100). QDCOUNT=1. */
    put16(out + 0, qid);
    put16(out + 2, flags);
    put16(out + 4, qdcount);
    put16(out + 6, 0);
    put16(out + 8, 0);
    put16(out + 10, 0);
    size_t len = 12;
    /* TODO (stage 1): append the question: the name in wire form (name->wire, name->len bytes),
     *   then QTYPE and QCLASS (1 = IN) as two more 16-bit numbers.
     *   "a.example" is  01 61 07 65 78 61 6d 70 6c 65 00  followed by 00 01 00 01 for A, IN. */
    (void)name;
    (void)qtype;
    return len;
}

/* ------------------------------------------------------------------------------------------
 * Decoding responses
 * ------------------------------------------------------------------------------------------ */

/* A growable text, for rdata ready to print. */
struct text {
    char *s;
    size_t len, cap;
};

static void text_add(struct text *t, const char *p, size_t n) {
    if (t->cap - t->len < n + 1) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap - t->len < n + 1) cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            note("out of memory");
            exit(EXIT_NO_ANSWER);
        }
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_fmt(struct text *t, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) text_add(t, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

struct record {
    struct dname owner;
    uint16_t type;
    uint32_t ttl;
    struct text rdata; /* already as text, ready to print: "192.0.2.1", "10 mail.example.com." */
};

struct response {
    uint16_t id;
    uint16_t flags; /* QR is 0x8000, TC is 0x0200, RCODE is the low 4 bits (flags & 0xF) */
    unsigned qdcount;
    struct dname qname; /* the question the response repeats */
    uint16_t qtype, qclass;
    struct record *answers;
    size_t nanswers;
};

static void free_response(struct response *r) {
    for (size_t i = 0; i < r->nanswers; i++) free(r->answers[i].rdata.s);
    free(r->answers);
    memset(r, 0, sizeof *r);
}

/* Why the last datagram was ignored; the functions below set it and return -1. */
static char why[160];

static int malformed(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return -1;
}

/*
 * Decode the name that starts at msg[offset] into out (wire form, without compression).
 * Set *next to the offset of the first byte after the name *where it started*. Return 0, or
 * -1 (with malformed(...)) if the bytes are not a valid name.
 *
 * TODO (stage 1, then stage 2 for compression): read labels until the zero byte.
 *   - A byte 00xxxxxx is a label length (1-63); 0 is the root, the end of the name.
 *   - A byte 11xxxxxx starts a two-byte compression pointer: the other 14 bits are an offset
 *     from the start of the message where the rest of the name is. Jump there and keep
 *     reading; the name *here* ends after the two pointer bytes. The target may itself hold
 *     labels and then another pointer (a pointer to a pointer is fine).
 *   - Never trust the packet: check every length against len before you read, and make sure
 *     following pointers always ends (a pointer may point to itself!). A safe rule: each
 *     pointer must point strictly before the place where the current run of labels started;
 *     also stop after a bounded number of pointers.
 *   - Anything else (a label running past the end, bytes 01xxxxxx or 10xxxxxx, a name over
 *     255 bytes): return malformed("...").
 */
static int read_name(const unsigned char *msg, size_t len, size_t offset, struct dname *out, size_t *next) {
    (void)msg;
    (void)len;
    (void)offset;
    (void)out;
    (void)next;
    return malformed("read_name() is not written yet");
}

/* Append a name as printed: absolute, with the trailing dot. www.example -> "www.example.";
 * the root is ".". (Escaping a '.' inside a label as "\." is a nicety the tests do not need.) */
static void name_text(const struct dname *n, struct text *t) {
    size_t i = 0;
    if (n->len == 0 || n->wire[0] == 0) {
        text_add(t, ".", 1);
        return;
    }
    while (i < n->len && n->wire[i] != 0) {
        size_t l = n->wire[i];
        if (i + 1 + l > n->len) break;
        text_add(t, (const char *)n->wire + i + 1, l);
        text_add(t, ".", 1);
        i += 1 + l;
    }
}

/* The RDATA at msg[offset .. offset + rdlength), as text, appended to t. Return -1 (with
 * malformed(...)) if it does not have the shape its type requires. */
static int rdata_text(const unsigned char *msg, size_t len, size_t offset, size_t rdlength, uint16_t rtype, struct text *t) {
    const unsigned char *rd = msg + offset;
    (void)len;
    if (rtype == 1) { /* A */
        if (rdlength != 4) return malformed("an A record with %zu bytes of RDATA, not 4", rdlength);
        text_fmt(t, "%u.%u.%u.%u", rd[0], rd[1], rd[2], rd[3]);
        return 0;
    }
    /* TODO (stage 2), see the handout for each format:
     *   AAAA:      16 bytes, printed in RFC 5952 form ("2001:db8::1"); write it yourself,
     *              inet_ntop() disagrees with RFC 5952 in corner cases.
     *   CNAME, NS: a name, which may be compressed: use read_name(msg, len, offset, ...),
     *              because pointers are offsets into the whole message. It must end exactly
     *              at offset + rdlength.
     *   MX:        a 16-bit preference, then a name: "10 mail.example.com."
     *   TXT:       one or more strings, each a length byte and that many bytes:
     *              "\"first\" \"second\"", with " and \ escaped by a backslash.
     * Any other type: RFC 3597's generic form (done). */
    text_fmt(t, "\\# %zu", rdlength);
    if (rdlength) text_add(t, " ", 1);
    for (size_t i = 0; i < rdlength; i++) text_fmt(t, "%02x", rd[i]);
    return 0;
}

/*
 * Decode a whole response (msg, len bytes): the header, the question, and the answer section.
 * Return 0, or -1 (with malformed(...)) for anything that does not fit.
 *
 * TODO (stage 1): check there are 12 bytes of header and read them (get16); read the question
 *   (read_name, then QTYPE and QCLASS); then ANCOUNT resource records: owner name (read_name),
 *   TYPE (16 bits), CLASS (16), TTL (32 bits), RDLENGTH (16), and RDLENGTH bytes of RDATA
 *   (rdata_text). Check every length against len before reading, and return malformed(...)
 *   for anything that does not fit. Grow r->answers with realloc() as records come.
 *   If TC is set, the answer section may be incomplete: don't decode it.
 */
static int parse_response(const unsigned char *msg, size_t len, struct response *r) {
    (void)msg;
    (void)len;
    (void)r;
    (void)get16, (void)read_name, (void)rdata_text; /* what you will call from here */
    return malformed("parse_response() is not written yet");
}

/* ------------------------------------------------------------------------------------------
 * Which responses to believe
 * ------------------------------------------------------------------------------------------ */

/*
 * Return -1 (with malformed(...), the reason) if r must be ignored, 0 to accept it.
 *
 * TODO (stage 5): as it is, anything that parses is believed, which lets you work on stages
 *   1-4 first. An off-path attacker can send you datagrams too; accept a response only if ALL
 *   of these hold:
 *     - it came from the server's address and port (`from` vs a->server: compare the family,
 *       the address bytes and the port, not the whole struct, which has padding);
 *     - QR = 1 (it is a response, not a query);
 *     - its ID is the ID of a query you sent in this run (ids[0 .. nids));
 *     - it repeats your question: QDCOUNT = 1, the same name (compared case-insensitively:
 *       ASCII letters only), the same type, class IN.
 */
static int check_response(const struct response *r, const struct sockaddr_storage *from, const uint16_t *ids, size_t nids, const struct args *a) {
    (void)r;
    (void)from;
    (void)ids;
    (void)nids;
    (void)a;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * UDP, and TCP when the answer was truncated
 * ------------------------------------------------------------------------------------------ */

/* An unpredictable 16-bit ID, from the OS's cryptographic random source (see the handout,
 * "spoofing"): never rand(), the time or the process ID, which an attacker can guess. */
static uint16_t random_id(void) {
    unsigned char b[2] = {0, 0};
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, b, 2) != 2) note("cannot read /dev/urandom");
    if (fd >= 0) close(fd);
    return (uint16_t)(b[0] << 8 | b[1]);
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* monotonic: does not jump when the clock is set */
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send the query; fill r with the accepted response and return 0, or return -1 after 1+R
 * attempts. ids collects the ID of every query sent (room for 1 + retries). */
static int ask_udp(const struct args *a, uint16_t *ids, size_t *nids, struct response *r) {
    static unsigned char query[MAX_MSG], msg[MAX_MSG];

    /* socket(): a UDP endpoint (SOCK_DGRAM: whole datagrams, no connection). */
    int fd = socket(a->family, SOCK_DGRAM, 0);
    if (fd < 0) {
        note("socket: %s", strerror(errno));
        return -1;
    }
    /* bind() to port 0: the OS picks a random free source port, one more thing an attacker
     * would have to guess. Keep this one socket (this port) for every attempt. */
    struct sockaddr_storage local;
    memset(&local, 0, sizeof local);
    local.ss_family = (sa_family_t)a->family;
    if (bind(fd, (struct sockaddr *)&local, a->server_len) < 0) note("bind: %s", strerror(errno));

    uint16_t qid = random_id();
    ids[(*nids)++] = qid;
    size_t qlen = encode_query(query, qid, &a->name, a->qtype);
    /* sendto(): one datagram to the server's address. */
    if (sendto(fd, query, qlen, 0, (const struct sockaddr *)&a->server, a->server_len) < 0) note("cannot send: %s", strerror(errno));

    /* TODO (stage 4): this is one attempt that gives up at the first datagram. Instead: wait
     *   up to T ms per attempt, measured from when the query was sent. Ignored datagrams must
     *   NOT restart the timer: compute an absolute deadline (now_ms() + T) and poll() only
     *   for what is left of it, in a loop. When the deadline passes, send the query again (a
     *   new ID is fine; answers to earlier attempts stay acceptable), at most a->retries more
     *   times. */
    long deadline = now_ms() + a->timeout_ms;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    long left = deadline - now_ms();
    /* poll(): wait until a datagram can be read, or until `left` ms have passed (0: timeout). */
    int ready = poll(&p, 1, left > 0 ? (int)left : 0);
    if (ready <= 0) {
        note("no answer within %ld ms", a->timeout_ms);
        close(fd);
        return -1;
    }
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof from;
    /* recvfrom(): one whole datagram, and the address and port it came from. */
    ssize_t n = recvfrom(fd, msg, sizeof msg, 0, (struct sockaddr *)&from, &fromlen);
    close(fd);
    if (n < 0) {
        note("recvfrom: %s", strerror(errno)); /* e.g. ECONNREFUSED: nobody listens there */
        return -1;
    }
    if (parse_response(msg, (size_t)n, r) == 0 && check_response(r, &from, ids, *nids, a) == 0) return 0;
    note("ignored a datagram: %s", why);
    free_response(r);
    return -1;
}

/*
 * The same question over TCP, at the same address and port.
 *
 * TODO (stage 7): socket(a->family, SOCK_STREAM, 0) and connect() to a->server; send the query
 *   preceded by its length as two bytes, big-endian; then read two bytes of length and exactly
 *   that many bytes of response (recv() may return less than you asked for: loop, and give it
 *   a deadline with poll()). Check the response like a UDP one.
 */
static int ask_tcp(const struct args *a, uint16_t *ids, size_t *nids, struct response *r) {
    (void)a;
    (void)ids;
    (void)nids;
    (void)r;
    note("TCP is not written yet");
    return -1;
}

/* One line on stdout: owner, TTL, IN, type, rdata, separated by single tabs. */
static void print_record(const struct record *rec) {
    struct text owner = {0};
    name_text(&rec->owner, &owner);
    const char *type_name = NULL;
    for (size_t i = 0; i < NTYPES; i++)
        if (TYPES[i].code == rec->type) type_name = TYPES[i].name;
    /* fwrite, not printf("%s"): a label may contain a '\0' byte. */
    fwrite(owner.s, 1, owner.len, stdout);
    printf("\t%lu\tIN\t", (unsigned long)rec->ttl);
    if (type_name)
        fputs(type_name, stdout);
    else
        printf("TYPE%u", (unsigned)rec->type);
    putchar('\t');
    fwrite(rec->rdata.s ? rec->rdata.s : "", 1, rec->rdata.len, stdout);
    putchar('\n');
    free(owner.s);
}

int main(int argc, char **argv) {
    struct args a;
    memset(&a, 0, sizeof a);
    parse_args(argc, argv, &a);

    /* The IDs of every query sent in this run: one per attempt, plus one for TCP. */
    uint16_t *ids = calloc((size_t)a.retries + 2, sizeof *ids);
    size_t nids = 0;
    struct response r;
    memset(&r, 0, sizeof r);
    if (!ids) {
        note("out of memory for %ld retries", a.retries);
        return EXIT_NO_ANSWER;
    }
    if (ask_udp(&a, ids, &nids, &r) < 0) return EXIT_NO_ANSWER;
    if (r.flags & 0x0200) { /* TC: truncated */
        free_response(&r);
        if (ask_tcp(&a, ids, &nids, &r) < 0) return EXIT_NO_ANSWER;
    }

    for (size_t i = 0; i < r.nanswers; i++) print_record(&r.answers[i]);
    fflush(stdout);
    unsigned rcode = r.flags & 0xF;
    free_response(&r);
    free(ids);
    if (rcode == 0) return EXIT_OK_;
    return rcode == 3 ? EXIT_NXDOMAIN : EXIT_OTHER_RCODE;
}
