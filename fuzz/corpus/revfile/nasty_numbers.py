revision = 'a'
x = 0x_1 + 1__0 + 1e999 + 0o8 + 1_000j + .5e-3 + 0b102
