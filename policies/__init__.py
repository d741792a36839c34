"""The shipped policy presets: one YAML file per preset, read by :mod:`bot.presets`."""
