# BUG: treats every recv() as one whole line (serves clients at once, but does not buffer).
import argparse
import asyncio


async def serve(reader, writer):
    while data := await reader.read(4096):
        text = data.decode("utf-8", errors="replace").rstrip("\n")
        writer.write(text[::-1].encode() + b"\n")
        await writer.drain()
    writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    server = await asyncio.start_server(serve, "127.0.0.1", parser.parse_args().port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
