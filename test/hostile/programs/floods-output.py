# Floods stdout and stderr (64 MiB, a megabyte per write) before it listens, then answers PING.
import os
import hostile_lib

block = (b"flood " * 200 + b"\n") * 900
for i in range(64):
    os.write(1 if i % 2 else 2, block)
hostile_lib.serve()
