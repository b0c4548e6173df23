"""Drivers for the board's parts: matrix keypad, relay, buzzer, S0 pulse input, HD44780
and SSD1306 displays, the console display, a guard for a display that may fail. They
know nothing of the meter; hardware.py builds them from a board's pin map."""
