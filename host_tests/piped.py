"""A terminal program run with pipes (tools/simterm.py, tools/picoterm.py): its output
collected as it comes by a reader thread, its input written as a person would type."""

import subprocess
import threading


class Piped:
    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                return
            self.out += chunk

    def text(self):
        return self.out.decode(errors="replace")
