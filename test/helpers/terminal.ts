/** Runs `work` with `stream.isTTY` set as a terminal (true) or a pipe (false) would set it, then restores it. */
export async function withTTY<T>(stream: NodeJS.WriteStream, isTTY: boolean, work: () => Promise<T>): Promise<T> {
  const own = Object.getOwnPropertyDescriptor(stream, "isTTY");
  Object.defineProperty(stream, "isTTY", { value: isTTY, configurable: true, writable: true });
  try {
    return await work();
  } finally {
    if (own) Object.defineProperty(stream, "isTTY", own);
    else delete (stream as { isTTY?: boolean }).isTTY;
  }
}
