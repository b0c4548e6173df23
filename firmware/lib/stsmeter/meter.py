"""The meter: what it does with each key and as time passes, what it remembers, and why.

Hardware-free and event-driven: the platform calls `press(key)`, `set_load(watts)`,
`add_energy(joules)`, `advance(seconds)` and `tamper_input()`; the meter answers through
`on_event(dict)` and its `relay_closed` and `screen()`. Token rules live in
jobs/acceptance.py, key changes in jobs/key_change.py, the record layout in record.py.
Time is the meter clock (config.py): seconds since provisioning, advanced only by
`advance` (running time), never past record.CLOCK_MAX (about 34 years: there it stops,
with one `clock_limit` warning, and the meter goes on).

Saves: every change a power cut must not undo is saved at once (a token, a rejection that
counts, a relay change...). Energy is saved ahead of use (debit-ahead, credit.py), so no
periodic save is needed for billing; the state is still saved every `save_interval_s`
while energy is drawn, for the clock: a board without a battery-backed RTC (the Pico)
restarts its meter clock from the last save. Each start is logged (POWER_ON with the
lifetime count) and saved.

Only the idle code stays in RAM: the start (jobs/startup.py), a token (sts/, then the
rules in jobs/) and a short code (jobs/shortcodes.py) load their code when needed and
release it after (stsmeter.LOADS, stsmeter.release), so the meter runs in a small heap
with .mpy modules (68 KB on the 64-bit unix port: `make bench`). A board with room keeps
it instead (CODE_LOADING = "resident" in its pin map: app.py loads it all at start).

Every field of the meter is declared in __init__; the parts (credit.py, supply.py, ...)
declare theirs. Code loaded per entry changes them, never adds any.
"""

from micropython import const

from . import REASONS, TAMPERS, code_kept, entry, eventlog, make_room, record, release, screen
from .credit import FOREVER, Credit
from .lockout import Lockout
from .record import CLOCK_MAX
from .supply import Supply
from .tidstore import TidStore

_MAX_DRAW_J = const(1 << 29)  # energy drawn in one step of advance(): a small int


class Meter:
    def __init__(self, cfg, store, sealer, now, on_event=None, random_bytes=None):
        self.cfg = cfg
        self.store = store
        self.sealer = sealer
        self.now = max(0, min(now, CLOCK_MAX))
        self.emit = on_event or (lambda event: None)
        self.random_bytes = random_bytes
        from .jobs import startup

        startup.sealed(cfg, store, self.emit)  # as provisioned, not as meter.json says
        self.digest = None  # the sealed settings' digest, in every record (startup.py)
        self.credit = Credit(cfg.credit_limit_wh, 9999999, cfg.low_credit_wh,
                             cfg.emergency_credit_wh, cfg.debit_ahead_wh)
        self.supply = Supply(cfg.overload_s, cfg.trip_delay_s, cfg.trip_delay_max_s,
                             cfg.trip_calm_s)
        self.lockout = Lockout(cfg.lockout_free, cfg.lockout_base_s, cfg.lockout_max_s)
        self.tids = TidStore(cfg.tid_store_size)
        self.log = eventlog.EventLog(cfg.event_log_size)
        self.entry = entry.Entry(cfg.entry_timeout_s)
        self.tamper = 0
        self.last_result = -1
        self.last_amount = 0  # in 0.1 units of last_unit
        self.last_unit = 0
        self.load_w = 0
        self.test_until = 0
        self.message = None  # (line 1, line 2) shown until message_until
        self.message_until = 0
        self.saved_at = now
        self.energy_unsaved = False
        self.must_save = False  # a change the next housekeeping saves, after the relay
        self._relay = False  # what the relay was last set to (off before power-on)
        self._held_by = "credit"  # why it was last opened (one of stsmeter.REASONS)
        self.bytes_saved = 0
        self.decoder = None  # kept between tokens when the code is resident
        # the key and its data, set by jobs/key_record.install (at start: unsealed from the
        # record or provisioned; later: a key change); ea "07"/"11", key: bytes
        self.ea = self.key = None
        self.kt = self.krn = self.ti = self.ken = self.sgc = self.base_year = 0
        self.kct = None  # the key change set in progress (kct.KeyChange)
        self.sealed = None  # the key record sealed (IV + AES-CBC + CMAC), record.py's head
        startup.boot(self)
        release("start")
        self.kct.expire(self.now)
        log = self.log
        log.power_ups += 1  # lifetime (2**30 starts: one a second for 34 years)
        log.add(self.now, eventlog.POWER_ON, 0, log.power_ups)
        self._low = self.credit.low()
        self._sync_relay(power_on=True)
        self.save()  # the power-up count and its log entry
        if self.now >= CLOCK_MAX:
            self.emit({"event": "warning", "warning": "clock_limit"})

    # --- inputs ---
    def press(self, key):
        """One key: '0'-'9', '*', '#', or 'C' (a long '*')."""
        self._housekeeping()
        what = self.entry.press(key, self.now)
        if what != entry.NOTHING:
            self._finish(what)
        self._housekeeping()

    def _finish(self, what):
        """An entry ended: the code it needs is loaded for it and released after it (a board
        that loads .mpy files holds their bytecode in RAM; see stsmeter.release)."""
        make_room()
        if what == entry.TOKEN or what == entry.WRONG_LENGTH:
            tok = self._decode() if what == entry.TOKEN else None
            make_room()
            from .jobs import acceptance

            if tok:
                acceptance.token(self, tok)
            else:
                acceptance.wrong_length(self, self.entry.ended)
            release("token")
        elif what == entry.SHORT_CODE:
            from .jobs import shortcodes

            shortcodes.run(self, self.entry.short_code())
            release("short_code")

    def _decode(self):
        """The entered token decoded with the meter's key. The cipher (its tables, the key
        schedule) and the decoder are loaded for it and released before the rules load
        (kept, with the key schedule, when the code is resident); the Token (token.py)
        goes on to acceptance.py."""
        from .sts.decoder import Decoder, make_cipher

        dec = self.decoder
        if dec is None:
            dec = Decoder(make_cipher(self.ea, self.key))
            if code_kept():  # resident code: keep the key schedule too (until a key change)
                self.decoder = dec
        tok = dec.decode(self.entry.digits())
        dec = None  # (unless kept: the cipher and its key schedule are garbage from here)
        release("decode")
        return tok

    def set_load(self, watts):
        """The load (W) the premises would draw; it draws only while the relay is closed."""
        if not 0 <= watts <= self.cfg.max_load_w:
            raise ValueError("load must be 0..%d W" % self.cfg.max_load_w)
        self.load_w = watts
        self._housekeeping()

    def add_energy(self, joules):
        """Energy measured by the pulse input (drawn whatever the relay says)."""
        if joules < 0:
            raise ValueError("energy must not be negative")
        self.energy_unsaved = True
        if self.credit.consume(joules):  # a new chunk debited, or ran out (with the relay)
            self.must_save = True
        self._housekeeping()

    def tamper_input(self):
        """The tamper switch (cover, magnet) tripped."""
        switch = TAMPERS.index("tamper_input")
        if self.tamper != switch:
            self.set_tamper(switch)
            self.must_save = True
        self._housekeeping()

    def advance(self, seconds):
        """Let time pass, spending credit at the present load, stopping at each change;
        with nothing due and nothing drawn it goes to the end in one step, however far.
        The clock stops at CLOCK_MAX (time still passes for the load there)."""
        left = seconds  # (none, or less: nothing happens)
        while True:
            self._housekeeping()
            if left <= 0:
                return
            draw = self.load_w if self.relay_closed else 0
            step = left
            if self.now < CLOCK_MAX:
                due = self._next_change()
                if due < FOREVER:
                    step = min(step, due)
                step = min(step, CLOCK_MAX - self.now)
            if draw:
                step = min(step, _MAX_DRAW_J // draw)
            step = max(step, 1)
            left -= step
            if self.now < CLOCK_MAX <= self.now + step:  # once: the clock stops here
                self.emit({"event": "warning", "warning": "clock_limit"})
            self.now = min(self.now + step, CLOCK_MAX)
            if draw:
                self.energy_unsaved = True
                if self.credit.consume(draw * step):  # a chunk debited, or ran out
                    self.must_save = True

    def _next_change(self):
        """Seconds to the next moment something changes by itself (FOREVER: nothing due)."""
        now = self.now
        draw = self.load_w if self.relay_closed else 0
        due = FOREVER
        if draw:
            due = self.credit.seconds_left(draw)
            if not self._low and self.credit.low_wh:
                due = min(due, self.credit.seconds_left(draw, self.credit.low_wh - 1))
        wait = self.supply.next_change(now, self.load_w, self._supply_ok())
        if wait is not None:
            due = min(due, wait)
        for at in (self.test_until, self.message_until, self.lockout.until,
                   self.entry.last_key_at + self.entry.timeout_s if self.entry.count else 0,
                   self.kct.started + self.kct.timeout_s if self.kct.mask else 0):
            if at > now:
                due = min(due, at - now)
        return due

    # --- derived state ---
    def _supply_ok(self):
        """True unless the relay must be open for credit, tamper or a relay test."""
        return self.credit.wh > 0 and not self.tamper and self.now >= self.test_until

    @property
    def relay_closed(self):
        return self._supply_ok() and not self.supply.tripped(self.now)

    def _open_reason(self):
        if self.tamper:
            return "tamper"
        if self.supply.tripped(self.now):
            return "overpower"
        if self.now < self.test_until:
            return "test"
        return "credit"

    def _housekeeping(self):
        """Apply everything that is due at self.now, set the relay, then save if needed
        (after the relay, so that its log entry is in the record too)."""
        now = self.now
        if self.entry.expired(now):
            self.emit({"event": "entry", "state": "timeout"})
        if self.kct.expire(now):
            self.emit({"event": "key_change", "state": "timeout"})
            self.must_save = True
        if self.message and now >= self.message_until:
            self.message = None
        if self.lockout.until and now >= self.lockout.until:  # a lockout ended: saved, or
            self.lockout.until = 0  # a restart would resume it from the last save
            self.must_save = True
        if self.supply.update(now, self.load_w if self.relay_closed else 0, self._supply_ok()):
            self.must_save = True
        low = self.credit.low()
        if low != self._low:
            self._low = low
            self.emit({"event": "warning", "warning": "low_credit", "active": low,
                       "credit_kwh": self.credit.wh / 1000})
        if self.energy_unsaved and now - self.saved_at >= self.cfg.save_interval_s:
            self.must_save = True  # for the clock (billing is saved ahead: credit.py)
        self._sync_relay()
        if self.must_save:
            self.save()

    def _sync_relay(self, power_on=False):
        """Emit and log a relay change. Opening names its cause; closing, the cause that
        has gone (power_on: closing at start; an unpowered relay is open already)."""
        closed = self.relay_closed
        if closed == self._relay:
            if power_on:
                self._held_by = self._open_reason()
            return
        if closed:
            reason = "power_on" if power_on else self._held_by
        else:
            reason = self._held_by = self._open_reason()
        self._relay = closed
        self.log.add(self.now, eventlog.RELAY, int(closed), REASONS.index(reason))
        self.emit({"event": "relay", "closed": closed, "reason": reason})

    # --- changes made by tokens and short codes ---
    def set_tamper(self, reason):  # (an index of stsmeter.TAMPERS; 0: none)
        self.tamper = reason
        self.log.add(self.now, eventlog.TAMPER, reason)
        self.emit({"event": "tamper", "active": bool(reason), "reason": TAMPERS[reason]})

    def save(self):
        """Persist the whole state now (one atomic record); False when the flash refused it
        (a full filesystem): tried again at the next change."""
        try:
            self.bytes_saved += record.save(self)
        except OSError:
            self.must_save = True
            return False
        self.saved_at = self.now
        self.energy_unsaved = self.must_save = False
        return True

    def go_back(self):
        """Back to the last saved record, after a save the flash refused (a full
        filesystem): what was not saved does not count (a token can be entered again)."""
        from .jobs import startup

        startup.go_back(self)
        release("start")

    # --- outputs ---
    def screen(self):
        return screen.lines(self)
