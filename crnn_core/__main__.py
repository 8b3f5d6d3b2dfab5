"""``python -m crnn_core …``: see ``crnn_core.cli``."""

import sys

from crnn_core.cli import main

sys.exit(main())
