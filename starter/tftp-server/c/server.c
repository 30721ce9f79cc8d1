/*
 * tftp-server starter (C, POSIX): a TFTP server (RFC 1350) for the files of one folder.
 *
 *   Build:  cc -std=c11 -O2 -Wall -Wextra -o server server.c
 *   Run:    ./server --port 6969 --root files --timeout-ms 1000
 *   Try:    tftp -m binary 127.0.0.1 6969 -c get hello.txt copy.txt
 *   Grade:  npx sockgrade grade .
 *
 * What is here already: the arguments, the listening UDP socket on 127.0.0.1:<port>, one
 * poll() loop that serves every transfer at once and fires each transfer's timer (a single
 * thread that sleeps until a socket is ready or a deadline passes), the request parser
 * (opcode, file name, mode, options), and the simplest read that works on a perfect network:
 * DATA blocks of 512 bytes, numbered from 1, each sent after the ACK of the one before.
 * Reading a file (read-small, sizes) passes as it is.
 *
 * What is missing (the TODOs), by stage of the handout:
 *   1. a UDP socket of its own for every transfer (its transfer ID); writes (WRQ);
 *   2. ERROR packets with the right codes (1, 2, 6), and no path that leaves the root;
 *   3. retransmission on timeout (the timer counts timeouts and gives up after 5 already;
 *      nothing is sent again yet); ERROR 5 to strangers;
 *      a WRQ's duplicate DATA acknowledged again but written once;
 *   4. many at once: the loop already serves every transfer; keep it that way (never block);
 *   5. options (blksize, tsize, timeout) answered with an OACK; block numbers past 65535.
 *
 * POSIX only (Linux and macOS), no libraries beyond libc.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum { OP_RRQ = 1, OP_WRQ = 2, OP_DATA = 3, OP_ACK = 4, OP_ERROR = 5, OP_OACK = 6 };

/* ERROR codes (RFC 1350; the handout says which one when). */
enum {
    ERR_UNDEFINED = 0,
    ERR_NOT_FOUND = 1,
    ERR_ACCESS = 2,
    ERR_DISK_FULL = 3,
    ERR_ILLEGAL_OP = 4,
    ERR_UNKNOWN_TID = 5,
    ERR_EXISTS = 6
};

#define BLOCK_SIZE 512
#define MAX_RETRANSMITS 5 /* the handout: give up after 5 retransmissions with no answer */
/* The largest packet: a DATA of the largest blksize (65464, stage 5) and its 4-byte header.
 * recvfrom() silently cuts a datagram longer than its buffer. */
#define MAX_PACKET (4 + 65464)
#define MAX_TRANSFERS 256
#define MAX_OPTIONS 16

static const char *root = ".";
static int timeout_ms = 1000;
static int listener = -1;

/* Milliseconds of a clock that never jumps (not the time of day). */
static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 ? 0 : -1;
}

static int same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b) {
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* ------------------------------------------------------------------------------------------
 * Packets: a 2-byte opcode, then fields; numbers are big-endian (network byte order)
 * ------------------------------------------------------------------------------------------ */

static void put16(unsigned char *p, unsigned n) {
    p[0] = (unsigned char)(n >> 8); /* the field is 16 bits: only the low 16 bits of n fit */
    p[1] = (unsigned char)n;
}

static unsigned get16(const unsigned char *p) {
    return (unsigned)p[0] << 8 | p[1];
}

/* An ERROR: opcode, code, a message and its NUL byte. Returns the length. */
static size_t pack_error(unsigned char *out, unsigned code, const char *message) {
    size_t len = strlen(message);
    if (len > 200) len = 200;
    put16(out, OP_ERROR);
    put16(out + 2, code);
    memcpy(out + 4, message, len);
    out[4 + len] = 0;
    return 4 + len + 1;
}

/* An ACK (a write, stage 1) is opcode 4 and the block number. An OACK (stage 5) is opcode 6,
 * then "name" NUL "value" NUL for every option accepted. */

/* A request: pointers into a NUL-terminated copy of the datagram. */
struct request {
    unsigned opcode;
    const char *name;
    const char *mode; /* in lower case: modes are case-insensitive */
    int noptions;     /* option names in lower case, values as sent */
    const char *option_name[MAX_OPTIONS], *option_value[MAX_OPTIONS];
};

/* Split an RRQ or WRQ: opcode | file name NUL | mode NUL | (option name NUL value NUL)*.
 * buf[0..len) is the datagram and must have room for one more byte. Returns 0, or -1 if it is
 * not a request (then the answer is ERROR 4). */
static int parse_request(unsigned char *buf, size_t len, struct request *req) {
    if (len < 2 || buf[len - 1] != 0) return -1; /* every string ends in a NUL byte */
    buf[len] = 0;
    char *fields[2 + 2 * MAX_OPTIONS];
    int n = 0;
    for (size_t start = 2; start < len && n < 2 + 2 * MAX_OPTIONS;) {
        char *s = (char *)buf + start;
        fields[n++] = s;
        start += strlen(s) + 1;
    }
    if (n < 2 || fields[0][0] == 0) return -1; /* no file name or no mode */
    req->opcode = get16(buf);
    req->name = fields[0];
    for (char *c = fields[1]; *c; c++) *c = (char)tolower((unsigned char)*c);
    req->mode = fields[1];
    /* Pairs after the mode; a name without a value at the end is ignored. */
    req->noptions = 0;
    for (int i = 2; i + 1 < n; i += 2) {
        for (char *c = fields[i]; *c; c++) *c = (char)tolower((unsigned char)*c);
        req->option_name[req->noptions] = fields[i];
        req->option_value[req->noptions] = fields[i + 1];
        req->noptions++;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * A read (RRQ)
 * ------------------------------------------------------------------------------------------ */

/* One RRQ being served: its client, its file, the block in flight, and its timer.
 * Lock-step: exactly one packet of ours is in flight (last_sent). Two things may send: the ACK
 * of that packet (then the next block goes out), or the timer (stage 3). */
struct transfer {
    int in_use;
    int sock;                /* the socket it talks through (see start_read) */
    struct sockaddr_in peer; /* the client's address *and port*: its transfer ID */
    char name[256];
    int fd;                   /* the file */
    unsigned long block;      /* the number of the block sent last */
    int last_block_sent;
    unsigned char last_sent[MAX_PACKET];
    size_t last_len;
    long long deadline;       /* now_ms() when the timer fires: T after our last packet */
    int timeouts;             /* timeouts in a row with no answer to last_sent */
};

static struct transfer transfers[MAX_TRANSFERS];

/* Send a packet that moves the transfer on, and start the timer for its answer. */
static void send_packet(struct transfer *t, const unsigned char *packet, size_t len) {
    if (packet != t->last_sent) memcpy(t->last_sent, packet, len);
    t->last_len = len;
    t->timeouts = 0;
    t->deadline = now_ms() + timeout_ms;
    if (sendto(t->sock, t->last_sent, len, 0, (struct sockaddr *)&t->peer, sizeof t->peer) < 0)
        fprintf(stderr, "tftp-server: send to port %d failed: %s\n", ntohs(t->peer.sin_port), strerror(errno));
}

static void close_transfer(struct transfer *t) {
    if (!t->in_use) return;
    t->in_use = 0;
    close(t->fd);
    /* TODO (stage 1): with a socket of its own, close it too (the loop stops polling it). */
}

static void send_next_block(struct transfer *t) {
    unsigned char *p = t->last_sent; /* build the packet in place */
    size_t n = 0;
    while (n < BLOCK_SIZE) { /* read() may return less than asked: fill the block */
        ssize_t got = read(t->fd, p + 4 + n, BLOCK_SIZE - n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break; /* end of file (or an error: then the block ends here) */
        n += (size_t)got;
    }
    t->block++;
    put16(p, OP_DATA);
    put16(p + 2, (unsigned)t->block);
    /* A block shorter than 512 bytes ends the transfer, even an empty one: so a file of exactly
     * N x 512 bytes ends with an empty block. */
    t->last_block_sent = n < BLOCK_SIZE;
    send_packet(t, p, 4 + n);
}

/* A datagram for this transfer. */
static void on_datagram(struct transfer *t, const unsigned char *buf, size_t len, const struct sockaddr_in *from) {
    /* TODO (stage 3): a datagram from any other address or port than t->peer (a stranger) gets
     *   ERROR 5 "Unknown transfer ID", sent to the stranger, and changes nothing here: not the
     *   block, not the timer. (As long as the listening socket is shared, the server never
     *   hands us a stranger's datagram.) */
    (void)from;
    if (len < 4) return;
    unsigned opcode = get16(buf), number = get16(buf + 2);
    if (opcode == OP_ERROR) {
        /* The client gave up. An ERROR is never answered (two programs could bounce ERRORs
         * forever). */
        close_transfer(t);
        return;
    }
    /* TODO (stage 5): block numbers are 16 bits: after block 65535 comes block 0. The ACK then
     *   carries 0 while t->block is 65536, and this comparison never matches. */
    if (opcode != OP_ACK || number != t->block) {
        /* Anything but the ACK of the block in flight is ignored. In particular an ACK of an
         * earlier block (a duplicate): answering it with DATA is the Sorcerer's Apprentice bug,
         * where every duplicate doubles the traffic from then on. */
        return;
    }
    if (t->last_block_sent) {
        fprintf(stderr, "tftp-server: port %d RRQ '%s': sent\n", ntohs(t->peer.sin_port), t->name);
        close_transfer(t);
    } else {
        send_next_block(t);
    }
}

/* No answer came within the timeout T of our last packet. */
static void on_timer(struct transfer *t) {
    if (++t->timeouts > MAX_RETRANSMITS) {
        /* The client is gone: end the transfer without a word (it would not hear one). */
        fprintf(stderr, "tftp-server: port %d RRQ '%s': no ACK for block %lu, given up\n", ntohs(t->peer.sin_port), t->name, t->block);
        close_transfer(t);
        return;
    }
    t->deadline = now_ms() + timeout_ms;
    /* PLACEHOLDER: nothing is sent again, the transfer only waits on: a lost DATA block stalls
     * it until it is given up.
     * TODO (stage 3): retransmit: send t->last_sent again (t->last_len bytes), here and only
     *   here (a timeout is the only reason to send a packet again). */
}

/* The socket of a transfer has datagrams (once transfers have sockets of their own). */
static void on_transfer_readable(struct transfer *t) {
    static unsigned char buf[MAX_PACKET + 1];
    while (t->in_use) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(t->sock, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fromlen);
        if (n < 0) return; /* EAGAIN: read everything there was */
        on_datagram(t, buf, (size_t)n, &from);
    }
}

/* ------------------------------------------------------------------------------------------
 * A write (WRQ): all TODO
 * ------------------------------------------------------------------------------------------
 * TODO (stage 1): writes, built like the read, the other way round (a field in struct
 *   transfer says which kind it is):
 *   - open the file with O_WRONLY|O_CREAT|O_EXCL: it fails with EEXIST if the file exists
 *     (error 6), so a write never overwrites;
 *   - answer the WRQ with ACK 0, then each DATA block n (the next one) with ACK n; a block
 *     shorter than 512 bytes is the last: write the file whole (close it) before its ACK;
 *   - stage 3: a DATA block that arrives again (the number you acknowledged last) is
 *     acknowledged again but not written again; after the last ACK, stay a little while to
 *     acknowledge the last block again if it comes again (your ACK may have been lost); when
 *     you give up, delete the partly written file (unlink); a full disk (ENOSPC) is error 3.
 */

/* ------------------------------------------------------------------------------------------
 * The listening socket
 * ------------------------------------------------------------------------------------------ */

/* Refuse a request with an ERROR (ERRORs are sent once, never retransmitted). */
static void send_error(const struct sockaddr_in *to, unsigned code, const char *message) {
    unsigned char packet[256];
    size_t len = pack_error(packet, code, message);
    /* PLACEHOLDER: sent from the listening socket.
     * TODO (stage 1): from a new socket bound to 127.0.0.1 port 0, as a transfer would (then
     *   close it): the listening socket only ever receives requests. */
    if (sendto(listener, packet, len, 0, (const struct sockaddr *)to, sizeof *to) < 0)
        fprintf(stderr, "tftp-server: cannot send an ERROR: %s\n", strerror(errno));
}

static struct transfer *find_transfer(const struct sockaddr_in *peer) {
    for (int i = 0; i < MAX_TRANSFERS; i++)
        if (transfers[i].in_use && same_addr(&transfers[i].peer, peer)) return &transfers[i];
    return NULL;
}

static void on_request(unsigned char *buf, size_t len, const struct sockaddr_in *from) {
    unsigned opcode = len >= 2 ? get16(buf) : 0;
    if (opcode == OP_ERROR) return; /* never answer an ERROR */
    if (opcode != OP_RRQ && opcode != OP_WRQ) {
        /* DATA, ACK and the rest belong to a transfer, never to the listening port. */
        send_error(from, ERR_ILLEGAL_OP, "Illegal TFTP operation");
        return;
    }
    struct request req;
    if (parse_request(buf, len, &req) < 0) {
        send_error(from, ERR_ILLEGAL_OP, "Illegal TFTP operation");
        return;
    }
    if (strcmp(req.mode, "octet") != 0 && strcmp(req.mode, "netascii") != 0) {
        send_error(from, ERR_ILLEGAL_OP, "Illegal mode");
        return;
    }
    /* TODO (netascii): in netascii mode a line end travels as CR LF and a lone CR as CR NUL;
     *   octet sends the bytes as they are. Convert before cutting a read into blocks, and keep
     *   a CR that ends a written block until the next block says what it was (stage 6). */
    fprintf(stderr, "tftp-server: port %d %s '%s' %s", ntohs(from->sin_port), opcode == OP_RRQ ? "RRQ" : "WRQ", req.name, req.mode);
    for (int i = 0; i < req.noptions; i++) fprintf(stderr, " %s=%s", req.option_name[i], req.option_value[i]);
    fputc('\n', stderr);

    /* TODO (stage 5): options (RFC 2347-2349), ignored for now. Accept the ones you know and
     *   answer with an OACK naming each accepted option and the value you will use, instead of
     *   DATA 1 (a read, which then waits for ACK 0) or ACK 0 (a write); leave unknown ones out,
     *   and with none accepted, answer as if there were no options:
     *   blksize 8..65464 (use it as the block size), tsize (a read: 0, answer the file's size;
     *   a write: echo it), timeout 1..255 seconds (replaces --timeout-ms). */

    if (opcode == OP_WRQ) {
        /* PLACEHOLDER: writes are refused. TODO (stage 1): see "A write" above. */
        send_error(from, ERR_ILLEGAL_OP, "writes are not implemented yet");
        return;
    }

    /* PLACEHOLDER: the name is simply joined to the root.
     * TODO (stage 2): no path may leave the root: refuse with ERROR 2 an absolute name, a ".."
     *   and a symlink that leads out (realpath(), then check that the result is still inside
     *   the root's own realpath). */
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", root, req.name) >= (int)sizeof path) {
        send_error(from, ERR_UNDEFINED, "name too long");
        return;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        /* PLACEHOLDER: every failure is error 0 ("not defined"), in the system's words.
         * TODO (stage 2): the code the client needs: 1 for a missing file (errno ENOENT), 2 for
         *   an access violation (EACCES, ...). */
        send_error(from, ERR_UNDEFINED, strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        /* A folder opens, but reading it fails: only regular files are sent. */
        close(fd);
        send_error(from, ERR_UNDEFINED, "not a file"); /* TODO (stage 2): an access violation */
        return;
    }
    struct transfer *t = NULL;
    for (int i = 0; i < MAX_TRANSFERS && !t; i++)
        if (!transfers[i].in_use) t = &transfers[i];
    if (!t) {
        close(fd);
        send_error(from, ERR_UNDEFINED, "too many transfers, try again later");
        return;
    }
    memset(t, 0, offsetof(struct transfer, last_sent)); /* the fields before the big buffer */
    t->in_use = 1;
    t->peer = *from;
    snprintf(t->name, sizeof t->name, "%s", req.name);
    t->fd = fd;
    /* PLACEHOLDER: the transfer talks through the listening socket, and on_listener_readable()
     *   hands it the datagrams that come from its client.
     * TODO (stage 1): a socket of its own: socket(AF_INET, SOCK_DGRAM, 0), bound to 127.0.0.1
     *   port 0 so that the kernel picks a free port (the server's transfer ID), non-blocking.
     *   The loop in main() then polls it and calls on_transfer_readable() by itself, and the
     *   listening socket only receives requests. */
    t->sock = listener;
    /* TODO (stage 3): a client that got no answer sends its request again, from the same port:
     *   that is the same transfer, not a new one. (For now the request goes to the transfer,
     *   as everything from its client does, and it ignores it.) */
    send_next_block(t);
}

static void on_listener_readable(void) {
    static unsigned char buf[MAX_PACKET + 1]; /* + 1: room for parse_request's NUL */
    for (;;) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(listener, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fromlen);
        if (n < 0) return; /* EAGAIN: read everything there was */
        struct transfer *t = find_transfer(&from);
        if (t && t->sock == listener) {
            /* PLACEHOLDER: only because transfers share this socket (see on_request). */
            on_datagram(t, buf, (size_t)n, &from);
            continue;
        }
        on_request(buf, (size_t)n, &from);
    }
}

/* ------------------------------------------------------------------------------------------
 * Start-up and the loop
 * ------------------------------------------------------------------------------------------ */

static void usage(const char *argv0) {
    fprintf(stderr, "usage: %s --port P --root DIR [--timeout-ms T]\n", argv0);
    exit(2);
}

int main(int argc, char **argv) {
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
            root = argv[++i];
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
            timeout_ms = atoi(argv[++i]);
        } else {
            usage(argv[0]);
        }
    }
    if (port < 1 || port > 65535 || timeout_ms < 1) usage(argv[0]);
    struct stat st;
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "tftp-server: --root %s: not a folder\n", root);
        return 2;
    }

    listener = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    /* inet_pton, not INADDR_LOOPBACK: macOS defines that only outside strict POSIX mode. */
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || set_nonblocking(listener) < 0) {
        fprintf(stderr, "tftp-server: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("tftp-server listening on 127.0.0.1:%d, serving %s\n", port, root);
    fflush(stdout);

    static struct pollfd fds[1 + MAX_TRANSFERS];
    static struct transfer *owner[1 + MAX_TRANSFERS]; /* fds[i] belongs to owner[i] (NULL: the listener) */
    for (;;) {
        /* Fire every timer that is due, then sleep until the next one (or a datagram). */
        long long now = now_ms(), next = -1;
        for (int i = 0; i < MAX_TRANSFERS; i++) {
            struct transfer *t = &transfers[i];
            if (t->in_use && t->deadline <= now) on_timer(t);
            if (t->in_use && (next < 0 || t->deadline < next)) next = t->deadline;
        }
        int wait = next < 0 ? -1 : (int)(next > now ? next - now : 0);

        int nfds = 0;
        fds[nfds] = (struct pollfd){.fd = listener, .events = POLLIN};
        owner[nfds++] = NULL;
        for (int i = 0; i < MAX_TRANSFERS; i++) {
            if (transfers[i].in_use && transfers[i].sock != listener) { /* a socket of its own */
                fds[nfds] = (struct pollfd){.fd = transfers[i].sock, .events = POLLIN};
                owner[nfds++] = &transfers[i];
            }
        }
        if (poll(fds, (nfds_t)nfds, wait) < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 1;
        }
        for (int i = 0; i < nfds; i++) {
            if (!(fds[i].revents & (POLLIN | POLLERR))) continue;
            if (owner[i] == NULL) on_listener_readable();
            else if (owner[i]->in_use) on_transfer_readable(owner[i]);
        }
    }
}
