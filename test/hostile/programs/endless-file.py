# Writes one file without end, in its own folder, before it ever listens.
with open("endless.bin", "wb") as f:
    block = b"x" * (1024 * 1024)
    while True:
        f.write(block)
        f.flush()
