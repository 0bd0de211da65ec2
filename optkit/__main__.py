import os
import sys

from .cli import main

try:
    main()
    sys.stdout.flush()
except BrokenPipeError:  # the reader of a pipe stopped early (`python -m optkit methods | head`)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)
