# Allocates memory without bound before it ever listens (bytes(n) is calloc'ed: the limit, not
# the speed of the machine's page faults, decides when it stops).
chunks = []
while True:
    chunks.append(bytes(16 * 1024 * 1024))
