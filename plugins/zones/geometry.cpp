#include "geometry.hpp"

#include <algorithm>
#include <cmath>

namespace framehost::zones {

namespace {
double cross(Point o, Point a, Point b) {
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}
bool on_segment(Point a, Point b, Point p) {
    return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
           p.y <= std::max(a.y, b.y);
}
int sign(double v) {
    return (v > 0) - (v < 0);
}
}  // namespace

double signed_area(const Polygon& polygon) {
    double sum = 0;
    for (std::size_t i = 0; i < polygon.size(); ++i) {
        const Point& a = polygon[i];
        const Point& b = polygon[(i + 1) % polygon.size()];
        sum += a.x * b.y - b.x * a.y;
    }
    return sum / 2;
}

bool segments_intersect(Point a, Point b, Point c, Point d) {
    int d1 = sign(cross(c, d, a)), d2 = sign(cross(c, d, b));
    int d3 = sign(cross(a, b, c)), d4 = sign(cross(a, b, d));
    if (d1 != d2 && d3 != d4 && d1 != 0 && d2 != 0 && d3 != 0 && d4 != 0) return true;
    return (d1 == 0 && on_segment(c, d, a)) || (d2 == 0 && on_segment(c, d, b)) ||
           (d3 == 0 && on_segment(a, b, c)) || (d4 == 0 && on_segment(a, b, d));
}

std::string polygon_problem(const Polygon& polygon) {
    std::size_t n = polygon.size();
    if (n < 3) return "a zone needs at least 3 points, it has " + std::to_string(n);
    // Edges i and j cross unless they are neighbours (which share a corner by construction).
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) {
            bool neighbours = j == i + 1 || (i == 0 && j == n - 1);
            if (neighbours) continue;
            if (segments_intersect(polygon[i], polygon[(i + 1) % n], polygon[j],
                                   polygon[(j + 1) % n]))
                return "the zone's edges " + std::to_string(i + 1) + " and " +
                       std::to_string(j + 1) + " cross: the polygon crosses itself";
        }
    if (std::abs(signed_area(polygon)) < 1e-12) return "the zone's points enclose no area";
    return "";
}

bool inside(const Polygon& polygon, Point p) {
    bool in = false;
    for (std::size_t i = 0, j = polygon.size() - 1; i < polygon.size(); j = i++) {
        const Point& a = polygon[i];
        const Point& b = polygon[j];
        if (std::abs(cross(a, b, p)) < 1e-9 && on_segment(a, b, p)) return true;
        if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x)
            in = !in;
    }
    return in;
}

double signed_distance(Point a, Point b, Point p) {
    double length = std::hypot(b.x - a.x, b.y - a.y);
    return length > 0 ? cross(a, b, p) / length : 0;
}

}  // namespace framehost::zones
