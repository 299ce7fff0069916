"""The console's views: each role's queue assembled from the services' REST APIs, with names and titles beside
every code, counts, filters and the due date — one module per queue, as ``console/pages`` has one per page.

The services decide every rule (department, four eyes, transitions); the console only shows their answers.
"""
