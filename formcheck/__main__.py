import sys

from formcheck.tools.cli import main

sys.exit(main())
