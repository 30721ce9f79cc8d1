# Reference solution of @ID@: asyncio serves every client at once; readline() buffers the
# byte stream, so a line split across reads, or several lines in one read, are both handled.
import argparse
import asyncio


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while line := await reader.readline():
            if not line.endswith(b"\n"):
                break  # the client closed in the middle of a line
            text = line[:-1].decode("utf-8", errors="replace")
            writer.write(text[::-1].encode() + b"\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
