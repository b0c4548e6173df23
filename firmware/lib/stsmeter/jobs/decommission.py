"""Back to development mode from production, without giving the key away (start-only code).

A meter in production mode (production.py) keeps its USB serial away from the REPL. To
get a development board back, hold `*` while powering it on: the display asks
"Decommission?" and waits for a clear-tamper token for this meter, which only the
utility can issue (genuine, neither used nor too old, as any token). With it the meter
erases its state for good (the key and every record, in the journal's flash blocks and
in the files), removes its production mark and restarts: a development board with no
key, whose USB serial gives the REPL again (mpremote, make deploy), to be provisioned
anew. Any other entry, or 60 s without a key, starts the meter as usual (a wrong token
counts towards the lockout, as at any time).
"""

import asyncio
import time

from micropython import const

from .. import entry

_WAIT_S = const(60)
_CLEAR_TAMPER = const(5)  # class 2 subclass (token.CLEAR_TAMPER)
_MANAGEMENT = const(2)


def wanted(devices):
    """True when the `*` key is held as the meter starts (a few scans past the debounce)."""
    keypad = devices.keypad
    if keypad is None or "*" not in keypad.labels():
        return False
    for _ in range(6):
        keypad.scan(time.ticks_ms())
        time.sleep_ms(10)
    return keypad.is_down(keypad.index("*"))


async def _dialog(fw):
    m = fw.meter
    dev = fw.dev
    show = dev.display.show
    show(("Decommission?", "clear tamper tok"))
    scan = asyncio.create_task(dev.keypad.run())
    try:
        while dev.keypad.pending() or dev.keypad.is_down(dev.keypad.index("*")):
            dev.keypad.clear()  # the held `*` itself is no entry
            await asyncio.sleep_ms(50)
        while True:
            try:
                key = await asyncio.wait_for(dev.keys.next_key(), _WAIT_S)
            except asyncio.TimeoutError:
                return False
            what = m.entry.press(key, m.now)
            if m.entry.count:
                from ..screen import lines

                show(lines(m))
            if what == entry.TOKEN:
                return await _token(fw)
            if what in (entry.SHORT_CODE, entry.WRONG_LENGTH):
                return False
    finally:
        scan.cancel()  # the meter starts its own scan


async def _token(fw):
    m = fw.meter
    show = fw.dev.display.show
    tok = m._decode()
    if not tok.error and (tok.cls != _MANAGEMENT or tok.sub != _CLEAR_TAMPER):
        show(("Refused", "not clear tamper"))  # a genuine token of another kind: not used
        await asyncio.sleep_ms(3000)
        return False
    results = []
    emit = m.emit
    m.emit = lambda e: results.append(e.get("result")) if e["event"] == "result" else None
    from . import acceptance

    acceptance.token(m, tok)  # every rule of a token: lockout (a wrong one counts), key,
    # TID used or old
    m.emit = emit
    if results != ["accept"]:
        show(("Refused", (results or ["?"])[0]))
        await asyncio.sleep_ms(3000)
        return False
    show(("Decommissioning", "erasing state"))
    wipe(m.store)
    from . import production

    production.leave()
    show(("Decommissioned", "USB REPL is open"))
    print("stsmeter: decommissioned: key and state erased, production mode off")
    return True


def wipe(store):
    """Erase the state for good: on a flash journal every block of the device that carries
    its header (freed older ones too: the key is in every record), then every file of the
    state folder and the folder."""
    if hasattr(store, "bdev"):
        from .load_journal import blocks

        for _, block in blocks(store):
            store.bdev.ioctl(6, block)
    for name in store.files.listdir(store.dir):
        store.files.remove(store.dir + "/" + name)
    store.files.rmdir(store.dir)


def run(fw):
    """The dialog; True when the meter was decommissioned (the caller restarts)."""
    return asyncio.run(_dialog(fw))
