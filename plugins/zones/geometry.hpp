#pragma once
// Plane geometry of zones and counting lines, in frame pixels.
#include <array>
#include <string>
#include <vector>

namespace framehost::zones {

struct Point {
    double x = 0;
    double y = 0;
};
using Polygon = std::vector<Point>;

// Signed area (shoelace): positive when the points go counter-clockwise in a y-up plane.
double signed_area(const Polygon& polygon);
// Whether two closed segments share a point.
bool segments_intersect(Point a, Point b, Point c, Point d);
// What is wrong with a polygon as a zone: fewer than 3 points, zero area, or two edges that
// cross; "" when it is a simple polygon.
std::string polygon_problem(const Polygon& polygon);
// Even-odd rule; a point on an edge counts as inside.
bool inside(const Polygon& polygon, Point p);
// Distance of `p` from the infinite line through a and b, signed: positive on one side,
// negative on the other (the sign of the cross product (b - a) x (p - a)).
double signed_distance(Point a, Point b, Point p);

}  // namespace framehost::zones
