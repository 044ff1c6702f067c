f'{"abc":d}'
